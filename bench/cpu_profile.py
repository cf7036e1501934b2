"""Where the workers' CPU goes in a burst, per hop and per part (`python -m bench.run --profile`).

py-spy samples each worker from outside (its own CPU is not the workers'), keeping only the
samples of a thread that holds the GIL (`--gil`): gevent's hub waiting in libev and the idle
threadpool thread do not, and py-spy's own idle test does not see them. A worker's samples are
then in proportion to its CPU time in Python; CPU spent with the GIL released (SQLite's and
libpq's C code, say) is not sampled, and the ms per call share out the workers' measured CPU.
Each sample's stack is attributed twice:

- to a hop, by the view it is in: bench/served_wsgi.py wraps each view, when profiling, in a
  function named `bench_view[/path]` (the signature check runs in a decorator around the view,
  so the view's own name is not on the stack yet); without that marker, by the view function's
  name. Samples in no view are gunicorn, gevent's hub and Flask before and after the view.
- to a part, by the innermost frame that belongs to one of PARTS; a frame that belongs to none
  (the standard library's hmac, re, json, socket…) is charged to the code that called it, and
  a stack with no such frame to the framework (Flask, Werkzeug, gunicorn, gevent).
"""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

FRAMEWORK = "Flask/Werkzeug/gunicorn/gevent"
OUTSIDE = "no view"
# Part -> path prefixes (of a file, relative to the project or to site-packages or the standard library).
# Checked in this order: the first part one of whose prefixes a frame's file starts with is its part.
PARTS = (
    ("signature check", ("app/calls/security.py", "twilio/request_validator.py")),
    ("state token", ("app/calls/callstate.py", "cryptography/", "itsdangerous/", "jwt/")),
    ("database", ("app/storage/", "sqlalchemy/", "sqlite3/", "psycopg/", "psycopg_binary/", "psycopg_pool/")),
    (
        "Verify client",
        ("app/twilio/", "twilio/rest/", "twilio/base/", "twilio/http/", "requests/", "urllib3/", "http/client.py"),
    ),
    ("TwiML", ("app/calls/twiml.py", "app/calls/prompts/", "twilio/twiml/", "xml/")),
    ("logging", ("logging/", "app/ops/logs.py")),
    ("metrics", ("prometheus_client/", "app/ops/metrics.py")),
    ("the app's other code", ("app/",)),
    (FRAMEWORK, ("flask/", "werkzeug/", "gunicorn/", "gevent/", "greenlet/", "jinja2/", "click/")),
)
# The benchmark's hops, by view function, where the served app's marker is missing.
VIEWS = {
    ("app/calls/voice.py", "incoming"): "/voice",
    ("app/calls/voice.py", "outcome"): "/voice/outcome",
    ("app/calls/verification/start.py", "start"): "/verification/start",
    ("app/calls/verification/start.py", "choose_language"): "/verification/language",
    ("app/calls/verification/check.py", "check"): "/verification/check",
    ("app/calls/account/step.py", "entered"): "/account/entered",
}
MARKER = re.compile(r"bench_view\[(.+)\]$")
FRAME = re.compile(r"^(.*) \((.*?)(?::\d+)?\)$")
LIBRARY = re.compile(r"(?:site|dist)-packages/|/lib/python3\.\d+/")


def relative(filename, root):
    """A frame's file as PARTS name it: relative to the project, site-packages or the standard library."""
    found = None
    for found in LIBRARY.finditer(filename):
        pass
    if found:
        return filename[found.end() :]
    prefix = str(root).rstrip("/") + "/"
    return filename[len(prefix) :] if filename.startswith(prefix) else filename


def parse_raw(text, root):
    """py-spy's raw output (`stack count` lines): [(frames outermost first as (function, file), count)]."""
    samples = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            function, filename = match.groups() if match else (frame, "")
            frames.append((function.rsplit(".", 1)[-1] if not MARKER.search(function) else function, relative(filename, root)))
        samples.append((frames, int(count)))
    return samples


def hop_of(frames):
    """The hop a stack is working for: its outermost view's path, or OUTSIDE."""
    for function, filename in frames:
        marker = MARKER.search(function)
        if marker:
            return marker.group(1)
        if (filename, function) in VIEWS:
            return VIEWS[(filename, function)]
    return OUTSIDE


def part_of(frames):
    """The part a stack's CPU is spent in: that of its innermost frame that has one, else FRAMEWORK."""
    for _, filename in reversed(frames):
        for part, prefixes in PARTS:
            if filename.startswith(prefixes):
                return part
    return FRAMEWORK


def tabulate(samples, cpu_s, calls):
    """Share of the samples and CPU ms per call, per part and hop (and "total"), with the hops in order."""
    cells, total = {}, sum(count for _, count in samples)
    for frames, count in samples:
        for hop in (hop_of(frames), "total"):
            key = (part_of(frames), hop)
            cells[key] = cells.get(key, 0) + count
    hops = sorted({hop for _, hop in cells if hop != "total"}, key=_hop_order) + ["total"]
    parts = [part for part, _ in PARTS]
    rows = {}
    for part in parts + ["total"]:
        row = {}
        for hop in hops:
            count = sum(n for (p, h), n in cells.items() if h == hop and part in (p, "total"))
            share = count / total if total else 0.0
            row[hop] = {"share": share, "ms_per_call": 1000 * share * cpu_s / calls if calls else 0.0}
        rows[part] = row
    return {"samples": total, "workers_cpu_s": cpu_s, "calls": calls, "hops": hops, "parts": rows}


def format_table(table):
    """The table as text: a row per part, a column per hop, each cell `share % · ms per call`."""
    hops = table["hops"]
    width = max(len(part) for part in table["parts"])
    lines = [
        f"worker CPU per part and hop ({table['samples']} samples, {table['workers_cpu_s']:.2f} s of CPU, "
        f"{table['calls']} calls): share of samples · ms of CPU per call",
        " " * width + "".join(f"  {hop:>21}" for hop in hops),
    ]
    for part, row in table["parts"].items():
        cells = "".join(f"  {100 * row[hop]['share']:>5.1f} % · {row[hop]['ms_per_call']:>6.2f} ms" for hop in hops)
        lines.append(f"{part:<{width}}{cells}")
    return "\n".join(lines)


class Sampler:
    """py-spy recording each of the worker processes until stop(); their raw stacks."""

    def __init__(self, pids, directory, stamp, rate=250, attach_s=1.0):
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if not spy:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install -r bench/requirements.txt")
        self.paths = [Path(directory) / f"{stamp}-profile-{pid}.txt" for pid in pids]
        self.processes = [
            subprocess.Popen(
                [spy, "record", "-p", str(pid), "-r", str(rate), "-f", "raw", "--gil", "--full-filenames", "--nolineno", "-o", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for pid, path in zip(pids, self.paths)
        ]
        time.sleep(attach_s)  # py-spy attaches and starts sampling in a fraction of this
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"py-spy could not sample a worker: {process.stderr.read().strip()[-500:]}")

    def stop(self):
        """Stop sampling (py-spy writes its file on SIGINT); the raw text of every worker's samples."""
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process, path in zip(self.processes, self.paths):
            _, errors = process.communicate(timeout=30)
            if not path.exists():
                raise RuntimeError(f"py-spy wrote no profile ({process.returncode}): {errors.strip()[-500:]}")
        return "\n".join(path.read_text() for path in self.paths)


def _hop_order(hop):
    order = ["/voice", "/account/entered", "/verification/start", "/verification/check", "/voice/outcome"]
    return (order.index(hop) if hop in order else len(order) + (hop == OUTSIDE), hop)
