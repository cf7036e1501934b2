"""Run a WSGI app under gunicorn exactly as the Procfile's `web:` line runs `wsgi:app`.

The command is read from the Procfile and only the app module is swapped, so that the
benchmark measures what Heroku runs: gunicorn.conf.py, $PORT, WEB_CONCURRENCY and the rest of
the environment. The server's output goes to a log file.

    python -m bench.server --app bench.served_wsgi:app --port 8791 --log bench/results/server.log
"""

import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
PROCFILE_APP = "wsgi:app"


def procfile_line(process):
    """The Procfile's command for `process` (web, release), or None."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            return line[len(process) + 1 :].strip()
    return None


def procfile_command(app_module):
    """The Procfile's web command, with `app_module` in place of wsgi:app."""
    line = procfile_line("web")
    if line is None:
        raise RuntimeError("the Procfile has no web: line")
    words = shlex.split(line)
    if PROCFILE_APP not in words:
        raise RuntimeError(f"the Procfile's web line does not run {PROCFILE_APP}: {line}")
    return [app_module if word == PROCFILE_APP else word for word in words]


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master (and its workers), started from the Procfile's command line."""

    def __init__(self, app_module, port, log_path, env=None):
        self.command = procfile_command(app_module)
        self.port = port
        self.log_path = Path(log_path)
        # The app's settings at their defaults, so that a developer's .env cannot change what
        # is measured; gunicorn's own settings (WEB_CONCURRENCY, GUNICORN_*) still come through.
        defaults = {name: str(value) for name, value in DEFAULTS.items()}
        self.env = {**os.environ, **defaults, **(env or {}), "PORT": str(port)}
        # The Procfile says `python` and `flask`: the ones installed next to this Python.
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.process = None
        self.started_in = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def release(self):
        """Run the Procfile's release: command (migrations) in this server's environment, as Heroku does."""
        command = procfile_line("release")
        if command:
            done = subprocess.run(command, shell=True, cwd=ROOT, env=self.env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"release phase `{command}` failed:\n{done.stdout}{done.stderr}")
        return command

    def start(self, timeout=30, settle=0.3):
        """Start gunicorn, wait until it listens and its workers have booted; the seconds until it listened."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        began = time.perf_counter()
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.started_in, workers, unchanged_since = None, None, None
        while time.perf_counter() - began < timeout:
            # Checked every time round: another process on the port would otherwise pass for gunicorn.
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            if self.started_in is None:
                if self._listening():
                    self.started_in = time.perf_counter() - began
            else:
                pids = self.worker_pids()
                if pids != workers:
                    workers, unchanged_since = pids, time.perf_counter()
                elif pids and time.perf_counter() - unchanged_since >= settle:
                    return self.started_in
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn was not ready on port {self.port} within {timeout} s; see {self.log_path}")

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def worker_pids(self):
        """The process ids of gunicorn's workers (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self, timeout=25):
        """Stop gracefully (SIGTERM), as Heroku does; kill only if that does not work."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="bench.served_wsgi:app")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8791")))
    parser.add_argument("--log", default=str(ROOT / "bench" / "results" / "server.log"))
    args = parser.parse_args(argv)
    server = Server(args.app, args.port, args.log)
    print("starting:", shlex.join(server.command), flush=True)
    server.start()
    print(f"{args.app} listening on {server.url} after {server.started_in:.2f} s; log: {args.log}", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
