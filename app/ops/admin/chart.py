"""Verifications by outcome over time, as the geometry of a stacked bar chart the template draws in SVG."""

import dataclasses
import datetime

OUTCOMES = ("approved", "failed", "in_progress")
WIDTH, HEIGHT = 600, 220
# Room for the count labels on the left and the time labels below.
LEFT, BOTTOM, TOP = 40, 28, 12


@dataclasses.dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    outcome: str
    title: str


def chart(counted, start, end):
    """The bars, the y-axis top and the time labels for `counted`, a {outcome: count} per equal stretch from `start` to `end` (reports.over_time)."""
    buckets = len(counted)
    step = (end - start) / buckets
    counts = [{outcome: bucket.get(outcome, 0) for outcome in OUTCOMES} for bucket in counted]
    top = _nice(max((sum(bucket.values()) for bucket in counts), default=0))
    plot_width, plot_height = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_width / buckets
    bars = []
    for index, bucket in enumerate(counts):
        x, base, label = LEFT + index * slot + slot * 0.1, HEIGHT - BOTTOM, _label(start + step * index, step)
        # Stacked from the axis up: approved, failed, in progress.
        for outcome, count in bucket.items():
            if count:
                height = plot_height * count / top
                base -= height
                title = f"{label}: {count} {outcome.replace('_', ' ')}"
                bars.append(Bar(round(x, 1), round(base, 1), round(slot * 0.8, 1), round(height, 1), outcome, title))
    every = max(1, buckets // 4)
    ticks = [(round(LEFT + index * slot, 1), _label(start + step * index, step)) for index in range(0, buckets, every)]
    return {
        "bars": bars, "top": top, "ticks": ticks,
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "bottom": HEIGHT - BOTTOM, "y_top": TOP,
    }


def _nice(value):
    """The y-axis top: the next of 1, 2, 5, 10, 20, 50… at or above `value` (at least 1)."""
    nice = 1
    while nice < value:
        for factor in (2, 5 / 2, 2):
            nice = round(nice * factor)
            if nice >= value:
                break
    return nice


def _label(moment, step):
    return moment.strftime("%b %d" if step >= datetime.timedelta(days=1) else "%H:%M")
