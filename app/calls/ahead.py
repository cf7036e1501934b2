"""Work a call's later webhook will need, started now in the background: bounded, and kept a minute by CallSid.

Twilio speaks a webhook's answer before it asks for the next step, so work started as one
webhook is answered (a Lookup, app/calls/risk.py) is usually done when the next one needs it.
Work started for a call that never gets there (the caller hung up, the next step refused the
call) is paid for nothing, so each worker bounds it: at most `at_once` pieces under way, none
asked twice for one call (a replayed webhook), and per clock hour at most `allowance` pieces
that no later step took.
"""

import concurrent.futures
import os
import threading
import time

# Seconds a piece of work is kept for its call's next step.
KEPT = 60


class Ahead:
    """Work asked ahead by one worker process, by CallSid."""

    def __init__(self, at_once, name):
        self.at_once = at_once
        self.name = name
        self.lock = threading.Lock()
        self.calls = {}  # CallSid → (monotonic time asked, key, future, clock hour asked); oldest first
        self.untaken = {}  # clock hour → pieces asked in it and not (yet) taken
        self.running = 0
        self.owner, self.executor = None, None

    def ask(self, call_sid, key, work, allowance=None):
        """Start `work()` for the call unless it is under way already, the pool is full or the hour's allowance is spent; True if started."""
        now, hour = time.monotonic(), int(time.time() // 3600)
        with self.lock:
            self._forget_stale(now)
            if call_sid in self.calls or self.running >= self.at_once:
                return False
            if allowance is not None and self.untaken.get(hour, 0) >= allowance:
                return False
            self.untaken = {hour: self.untaken.get(hour, 0) + 1}
            self.running += 1
            future = self._pool().submit(work)
            self.calls[call_sid] = (now, key, future, hour)
        future.add_done_callback(self._done)
        return True

    def _done(self, _future):
        with self.lock:
            self.running -= 1

    def take(self, call_sid, key):
        """The call's work if it was asked for `key`, else None; taken, it no longer counts against the allowance."""
        with self.lock:
            kept = self.calls.pop(call_sid, None)
            if kept is None or kept[1] != key:
                return None
            if kept[3] in self.untaken:
                self.untaken[kept[3]] -= 1
        return kept[2]

    def pending(self):
        """The work still under way, for a test that waits for it as Twilio's speaking would."""
        with self.lock:
            return [future for _, _, future, _ in self.calls.values() if not future.done()]

    def _forget_stale(self, now):
        # Oldest first: stop at the first one still kept.
        for call_sid, kept in list(self.calls.items()):
            if now - kept[0] <= KEPT:
                break
            del self.calls[call_sid]

    def _pool(self):
        """The worker's pool (one made before gunicorn forked has no threads in the worker)."""
        if self.owner != os.getpid():
            self.owner = os.getpid()
            self.executor = concurrent.futures.ThreadPoolExecutor(self.at_once, thread_name_prefix=self.name)
        return self.executor
