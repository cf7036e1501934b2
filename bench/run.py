"""The burst benchmark, in one command (`make bench`; `make bench-smoke` for a quick check).

1. Starts the Verify stand-in (bench/fake_verify.py, 500 ms per answer by default) and the
   server as the Procfile runs it (bench/server.py), with Twilio credentials set and the
   twilio-python client pointed at the stand-in (bench/served_wsgi.py).
2. Places N calls at the same moment (default 200) through the whole happy path, as Twilio
   would (bench/load.py), and reports calls verified, non-200 answers, webhooks over 15 s and
   hop latency percentiles, with the CPU the load generator and the stand-in used and the idle
   CPU left on the machine.
3. Weighs a TwiML-only hop (the code-entry webhook answering a silence) against a bare Flask
   app returning the same document (bench/bare_app.py) under the same gunicorn settings,
   alternating the two: worker CPU time per request (from /proc) and requests per second.
   A third app, bare Flask plus twilio-python's signature check ("bare+sig"), shows how much
   of the difference is the least any webhook must do.
4. Measures start-up (import wsgi: import + create_app) and resident memory per worker.

`--verify-by account` (or BENCH_VERIFY_BY=account) runs it all with VERIFY_BY=account: each
caller keys an account number first, looked up in a CRM stand-in (bench/fake_crm.py, 100 ms per
answer by default) whose phone on file for it is the caller's own number.

`--risk-checks line_type,sim_swap` (or BENCH_RISK_CHECKS=…) runs it with those RISK_CHECKS: one
Lookup per caller before the first code, from the stand-in answering after `--lookup-latency`
seconds (0.3 by default, or BENCH_LOOKUP_LATENCY); both are in the results' JSON and its label
(so in the results file's name).

`--speech` (BENCH_SPEECH=1) has each call take Twilio's time: the Says before a Redirect or a
Gather's action spoken, the digits keyed (bench/speech.py); hop latency is still the webhooks'
round trips, and the burst's whole duration is reported with the calls' length.

`--floor` (BENCH_FLOOR=1; `make bench` and `make bench-1000` pass it) then runs the same burst
against bench/floor_app.py under the same gunicorn: the four webhooks with their signature
checks and two Verify requests, and nothing else. Its p95 is the least a Flask app that sends
the code while the caller waits gets on this server and these two cores; the project's distance
above it is what the project's own work costs, and is printed with it.

`--profile` (BENCH_PROFILE=1) samples the workers with py-spy during the burst and prints where
their CPU went, per part and per hop (bench/cpu_profile.py).

`--fresh-postgres` records to a new PostgreSQL database (bench_<random> on BENCH_POSTGRES_URL,
postgresql://postgres@127.0.0.1:5432/postgres by default), dropped after the run. `--env
NAME=VALUE` (or BENCH_SERVER_ENV="NAME=VALUE …") sets an app setting for the server, over its
default; both, with the share of the two cores the load generator took, for runs of 1000 callers
(`make bench-1000`).

Results are printed and written as JSON to bench/results/.
"""

import argparse
import asyncio
import json
import os
import resource
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from twilio.request_validator import RequestValidator

from bench import cpu_profile, load
from bench.server import ROOT, Server, free_port

RESULTS = ROOT / "bench" / "results"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# The production configuration, with made-up credentials: Verify is the local stand-in.
SERVER_ENV = {
    "APP_ENV": "production",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "bench-auth-token",
    "TWILIO_VERIFY_SERVICE_SID": "VA" + "2" * 32,
    "SECRET_KEY": "bench-secret-key-not-for-production",
    # METRICS_TOKEN=… python -m bench.run measures with /metrics on, every webhook counted.
    "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
}


def process_cpu(pid):
    """CPU seconds a process's threads have run, from the scheduler's nanosecond counters.

    /proc/PID/stat counts whole clock ticks, too coarse for a fraction of a millisecond per
    request; schedstat is exact. Threads that have exited are not counted: gunicorn's worker
    threads live as long as the worker.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_times():
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values, share):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.5)) - 1))]


class Meter:
    """CPU used between start() and stop() by the server's workers, this process, and the machine."""

    def __init__(self, worker_pids, other_pids=()):
        self.worker_pids = worker_pids
        self.other_pids = other_pids

    def start(self):
        self._workers = sum(process_cpu(pid) for pid in self.worker_pids)
        self._others = sum(process_cpu(pid) for pid in self.other_pids)
        self._own = own_cpu()
        self._machine = machine_times()
        self._wall = time.perf_counter()

    def stop(self):
        wall = time.perf_counter() - self._wall
        busy, total = (now - then for now, then in zip(machine_times(), self._machine))
        return {
            "wall_s": wall,
            "workers_cpu_s": sum(process_cpu(pid) for pid in self.worker_pids) - self._workers,
            "verify_standin_cpu_s": sum(process_cpu(pid) for pid in self.other_pids) - self._others,
            "load_generator_cpu_s": own_cpu() - self._own,
            "machine_idle_share": 1 - busy / total if total else 0.0,
        }


class FakeCrm:
    """bench/fake_crm.py in its own process."""

    def __init__(self, latency, port, secret):
        self.url = f"http://127.0.0.1:{port}/accounts/lookup"
        command = [sys.executable, "-m", "bench.fake_crm", "--port", str(port), "--latency", str(latency), "--secret", secret]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "fake CRM on" not in line:
            raise RuntimeError(f"the CRM stand-in did not start: {line!r}")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class FakeVerify:
    """bench/fake_verify.py in its own process."""

    def __init__(self, latency, port, lookup_latency=None):
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "bench.fake_verify", "--port", str(port), "--latency", str(latency)]
        if lookup_latency is not None:
            command += ["--lookup-latency", str(lookup_latency)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "fake Verify on" not in line:
            raise RuntimeError(f"the Verify stand-in did not start: {line!r}")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def run_burst(server, verify, calls, accounts=False, speech=False, sampler=None):
    """Place `calls` calls at once (keying an account number first, with `accounts`); the figures of the burst.

    With `speech`, calls take Twilio's time to speak between webhooks; with a `sampler`
    (cpu_profile.Sampler on the workers), its samples are attributed to parts and hops.
    """
    meter = Meter(server.worker_pids(), [verify.process.pid])
    meter.start()
    began = time.perf_counter()
    results = asyncio.run(load.burst(f"{server.url}/voice", SERVER_ENV["TWILIO_AUTH_TOKEN"], calls, accounts=accounts, speech=speech))
    figures = meter.stop()
    profile = sampler.stop() if sampler else None
    hops = [hop for result in results for hop in result.hops]
    seconds = [hop.seconds for hop in hops]
    errors = sorted({result.error for result in results if result.error})
    figures.update(
        calls=calls,
        verified=sum(result.verified for result in results),
        webhooks=len(hops),
        non_200=sum(hop.status != 200 for hop in hops),
        over_15_s=sum(hop.seconds > 15 for hop in hops),
        hop_p50_s=percentile(seconds, 0.50),
        hop_p95_s=percentile(seconds, 0.95),
        hop_p99_s=percentile(seconds, 0.99),
        hop_max_s=max(seconds),
        # Which hops make the tail: the webhooks that wait on Verify, or the others.
        hop_p95_by_path_s={
            path: percentile([hop.seconds for hop in hops if hop.path == path], 0.95)
            for path in sorted({hop.path for hop in hops})
        },
        errors=errors[:5],
        # The stand-in does the same work in every burst: server CPU per unit of it compares
        # runs across the machine's changes of speed (BENCHMARKS.md).
        server_per_standin_cpu=figures["workers_cpu_s"] / max(figures["verify_standin_cpu_s"], 1e-9),
        # The generator shares the machine's two cores with the server: how much of them it took.
        load_generator_share_of_2_cores=figures["load_generator_cpu_s"] / (2 * figures["wall_s"]),
    )
    if speech:
        figures["speech"] = {
            "spoken_s_per_call": statistics.median(result.spoken_s for result in results),
            # From the first ring to the last call's end, its last document spoken.
            "whole_burst_s": max(result.ended_at for result in results) - began,
        }
    if profile is not None:
        figures["profile"] = cpu_profile.tabulate(cpu_profile.parse_raw(profile, ROOT), figures["workers_cpu_s"], calls)
    return figures


async def silence_request(url, auth_token):
    """A call brought to its code-entry Gather; the signed silence webhook and its TwiML answer."""
    # A number of its own each run: a call left at the prompt counts against its number's lockout.
    index = secrets.randbelow(10_000)
    caller = load.Caller(url, auth_token, f"+1415556{index:04d}")
    root = await caller.fetch(url)
    gathers = [verb for verb in root if verb.tag == "Gather"]
    if gathers:  # by account: key in an account number first (bench/fake_crm.py)
        action = load.urljoin(url, gathers[0].get("action"))
        root = await caller.fetch(action, {"Digits": str(10_000_000 + index), "FinishedOnKey": "#"})
    redirect = next(verb for verb in root if verb.tag == "Redirect")
    start = load.urljoin(url, redirect.text.strip())
    gather_doc = await caller.fetch(start)
    action = load.urljoin(start, next(verb for verb in gather_doc if verb.tag == "Gather").get("action"))
    form = dict(caller.fields)
    signature = caller.validator.compute_signature(action, form)
    status, body = await load.post(action, form, signature)
    if status != 200 or "did not hear" not in body:
        raise RuntimeError(f"the silence hop answered {status}: {body[:200]}")
    return action, form, signature, body


def run_twiml_hop(servers, action, form, rounds, requests, concurrency):
    """Alternate the apps (name -> Server) on the same signed silence request; per-round figures."""
    path = action.split("/", 3)[3]
    validator = RequestValidator(SERVER_ENV["TWILIO_AUTH_TOKEN"])
    rows = []
    for round_ in range(rounds):
        for name, server in servers.items():
            url = f"{server.url}/{path}"
            meter = Meter(server.worker_pids())
            meter.start()
            statuses = asyncio.run(load.repeat(url, form, validator.compute_signature(url, form), requests, concurrency))
            figures = meter.stop()
            if any(status != 200 for status in statuses):
                raise RuntimeError(f"{name} answered {sorted(set(statuses))}")
            rows.append(
                {
                    "round": round_ + 1,
                    "app": name,
                    "cpu_ms_per_request": 1000 * figures["workers_cpu_s"] / requests,
                    "requests_per_s": requests / figures["wall_s"],
                    "load_generator_cpu_s": figures["load_generator_cpu_s"],
                    "machine_idle_share": figures["machine_idle_share"],
                }
            )
    return rows


def compare_twiml_hop(project, stamp, args):
    """The TwiML-only hop on the project and the bare apps, alternated; rows and summary, printed."""
    action, form, _, body = asyncio.run(silence_request(f"{project.url}/voice", SERVER_ENV["TWILIO_AUTH_TOKEN"]))
    bare_env = {**SERVER_ENV, "BENCH_BARE_TWIML": body}
    bare = Server("bench.bare_app:app", free_port(), RESULTS / f"{stamp}-bare.log", bare_env)
    signed = Server("bench.bare_app:signed_app", free_port(), RESULTS / f"{stamp}-bare-signed.log", bare_env)
    lean = Server("bench.bare_app:lean_app", free_port(), RESULTS / f"{stamp}-bare-lean.log", bare_env)
    with bare, signed, lean:
        servers = {"bare": bare, "project": project, "bare+sig": signed, "form+sig1": lean}
        rows = run_twiml_hop(servers, action, form, args.rounds, args.requests, args.concurrency)
    summary = _summarise(rows)
    _print_twiml(rows, summary)
    return {"twiml_hop": rows, "twiml_hop_summary": summary}


def startup_seconds(times):
    """Seconds to `import wsgi` (imports + create_app) in a fresh interpreter, `times` times."""
    code = "import time; t = time.perf_counter(); import wsgi; print(time.perf_counter() - t)"
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": "sqlite://"}
    runs = []
    for _ in range(times):
        output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        runs.append(float(output.stdout.strip().splitlines()[-1]))
    return runs


def raise_file_limit():
    """Lift this process's open-file limit to its hard limit (the servers started from it inherit it); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def server_settings(pairs):
    """NAME=VALUE words -> {NAME: VALUE}; a clear error for anything else."""
    settings = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.isidentifier():
            raise SystemExit(f"Error: --env takes NAME=VALUE, not {pair!r}")
        settings[name] = value
    return settings


class FreshPostgres:
    """A new database bench_<random> on `admin_url`'s server, dropped (its sessions ended) on exit."""

    def __init__(self, admin_url):
        import psycopg  # the app's PostgreSQL driver; needed only here

        self.psycopg = psycopg
        self.admin_url = admin_url
        self.name = f"bench_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {self.name}")
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def drop(self):
        with self.psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="simultaneous calls (200; 0: no burst)")
    parser.add_argument("--latency", type=float, default=0.5, help="Verify's answer time, s (0.5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the project and the bare apps (3; 0: no TwiML-hop comparison)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients per round (16)")
    parser.add_argument("--startups", type=int, default=5, help="start-up measurements (5)")
    parser.add_argument("--label", default="", help="a name for this run in the results file")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="the records database (default: a fresh SQLite file in bench/results/)",
    )
    parser.add_argument(
        "--verify-by",
        choices=["caller_id", "account"],
        default=os.environ.get("BENCH_VERIFY_BY", "caller_id"),
        help="account: callers key an account number first, looked up in a CRM stand-in (BENCH_VERIFY_BY)",
    )
    parser.add_argument("--crm-latency", type=float, default=0.1, help="the CRM stand-in's answer time, s (0.1)")
    parser.add_argument(
        "--risk-checks",
        default=os.environ.get("BENCH_RISK_CHECKS", ""),
        help="the server's RISK_CHECKS, e.g. line_type,sim_swap: a Lookup per caller (BENCH_RISK_CHECKS; default none)",
    )
    parser.add_argument(
        "--lookup-latency",
        type=float,
        default=float(os.environ.get("BENCH_LOOKUP_LATENCY", "0.3")),
        help="the Lookup stand-in's answer time, s (0.3; BENCH_LOOKUP_LATENCY)",
    )
    for flag, variable, meaning in (
        ("--speech", "BENCH_SPEECH", "calls take Twilio's time to speak each Say and the caller's to key the code"),
        ("--profile", "BENCH_PROFILE", "py-spy samples the workers in the burst: CPU per part and hop"),
        ("--floor", "BENCH_FLOOR", "then the same burst against bench/floor_app.py, the least a Flask app on this server pays"),
        ("--fresh-postgres", "BENCH_FRESH_POSTGRES", "records to a new database on BENCH_POSTGRES_URL's server, dropped after the run"),
    ):
        # On with the flag, or with its variable set to anything but 0.
        parser.add_argument(flag, action="store_true", default=os.environ.get(variable, "") not in ("", "0"), help=f"{meaning} ({variable}=1)")
    parser.add_argument(
        "--env",
        action="append",
        default=shlex.split(os.environ.get("BENCH_SERVER_ENV", "")),
        metavar="NAME=VALUE",
        help="an app setting for the server, e.g. MAX_SENDS_PER_HOUR=5000 (repeatable; BENCH_SERVER_ENV)",
    )
    args = parser.parse_args(argv)
    accounts = args.verify_by == "account"
    extra_env = server_settings(args.env)
    labels = [args.label]
    if args.speech:
        labels.append("speech")
    if args.profile:
        labels.append("profile")
    labels += [f"{name}-{value}" for name, value in extra_env.items()]
    args.label = "-".join(filter(None, labels))
    if args.risk_checks:  # the label says so, whatever else it says
        args.label = "-".join(filter(None, [args.label, f"risk-{args.risk_checks.replace(',', '+')}-lookup-{args.lookup_latency:g}s"]))

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {"label": args.label, "args": vars(args), "env": _server_settings()}
    report["risk_checks"] = {"RISK_CHECKS": args.risk_checks, "lookup_latency_s": args.lookup_latency} if args.risk_checks else None
    report["speech"], report["profile"], report["server_env"] = args.speech, args.profile, extra_env
    report["open_files_limit"] = raise_file_limit()
    fresh = FreshPostgres(os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)) if args.fresh_postgres else None
    verify = FakeVerify(args.latency, free_port(), args.lookup_latency)
    database_url = fresh.url if fresh else args.database_url or f"sqlite:///{RESULTS / f'{stamp}-records.sqlite3'}"
    report["database"] = database_url.split("://")[0]
    env = {**SERVER_ENV, **extra_env, "BENCH_VERIFY_URL": verify.url, "DATABASE_URL": database_url, "RISK_CHECKS": args.risk_checks}
    if args.profile:
        env["BENCH_PROFILE"] = "1"
    crm = None
    if accounts:
        secret = secrets.token_urlsafe(32)
        crm = FakeCrm(args.crm_latency, free_port(), secret)
        env.update(VERIFY_BY="account", BENCH_CRM_URL=crm.url, BENCH_CRM_SECRET=secret)
    project = Server("bench.served_wsgi:app", free_port(), RESULTS / f"{stamp}-server.log", env)
    try:
        project.release()
        report["server_ready_s"] = project.start()
        print(f"server: {' '.join(project.command)}; workers {project.worker_pids()}, "
              f"listening {report['server_ready_s']:.2f} s after start", flush=True)
        if args.risk_checks:
            print(f"risk checks: RISK_CHECKS={args.risk_checks}, Lookup stand-in {args.lookup_latency:g} s", flush=True)
        asyncio.run(load.burst(f"{project.url}/voice", SERVER_ENV["TWILIO_AUTH_TOKEN"], 4, accounts=accounts))  # warm up
        if args.calls:
            _check_capacity(args.calls, report["open_files_limit"])
            sampler = cpu_profile.Sampler(project.worker_pids(), RESULTS, stamp) if args.profile else None
            report["burst"] = run_burst(project, verify, args.calls, accounts, args.speech, sampler)
            _print_burst(report["burst"])
            if args.profile:
                print(cpu_profile.format_table(report["burst"]["profile"]), flush=True)
        report["rss_mb_per_worker"] = [round(rss_mb(pid), 1) for pid in project.worker_pids()]

        if args.rounds:
            report.update(compare_twiml_hop(project, stamp, args))
        if args.floor and args.calls and accounts:
            print("floor: not run with --verify-by account (the floor app has no account step)", flush=True)
        elif args.floor and args.calls:
            project.stop()  # the floor has the two cores to itself, as the project had
            report["floor"] = run_floor(env, verify, args.calls, stamp, args.speech)
            _print_floor(report["floor"], report["burst"], args.risk_checks)
    finally:
        project.stop()
        verify.stop()
        if crm:
            crm.stop()
        if fresh:
            fresh.drop()

    report["startup_s"] = startup_seconds(args.startups)
    print(f"start-up (import wsgi): median {statistics.median(report['startup_s']):.3f} s "
          f"(runs: {', '.join(f'{s:.3f}' for s in report['startup_s'])})")
    print(f"memory per worker (RSS after the burst): {report['rss_mb_per_worker']} MB")
    path = RESULTS / f"{stamp}{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"results: {path}")
    bursts = [report.get("burst", {"calls": 0, "verified": 0, "non_200": 0, "over_15_s": 0})] + ([report["floor"]] if "floor" in report else [])
    return 0 if all(b["verified"] == b["calls"] and b["non_200"] == 0 and b["over_15_s"] == 0 for b in bursts) else 1


def run_floor(env, verify, calls, stamp, speech=False):
    """The same burst against bench/floor_app.py under the same gunicorn: the least a Flask app pays on it for the calls."""
    floor = Server("bench.floor_app:app", free_port(), RESULTS / f"{stamp}-floor.log", env)
    try:
        floor.start()
        asyncio.run(load.burst(f"{floor.url}/voice", SERVER_ENV["TWILIO_AUTH_TOKEN"], 4))  # warm up
        return run_burst(floor, verify, calls, speech=speech)
    finally:
        floor.stop()


def _print_floor(floor, burst, risk_checks=""):
    print(
        f"floor (bench/floor_app.py, the same burst{', asking no Lookup' if risk_checks else ''}): "
        f"{floor['verified']}/{floor['calls']} verified, "
        f"{floor['non_200']} non-200; hop p95 {floor['hop_p95_s']:.3f} s, server workers {floor['workers_cpu_s']:.2f} s of CPU\n"
        f"  the project above the floor: hop p95 {burst['hop_p95_s'] - floor['hop_p95_s']:+.3f} s, "
        f"worker CPU ×{burst['workers_cpu_s'] / max(floor['workers_cpu_s'], 1e-9):.2f}",
        flush=True,
    )


def _check_capacity(calls, open_files):
    """Say so before the burst if the workers' greenlets or this process's open files are too few for it."""
    workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
    per_worker = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or 1000)
    if (os.environ.get("GUNICORN_WORKER_CLASS") or "gevent") == "gevent" and calls > workers * per_worker:
        print(f"note: {calls} calls, but {workers} workers × GUNICORN_WORKER_CONNECTIONS={per_worker}: some will queue", flush=True)
    if calls + 100 > open_files:
        print(f"note: {calls} calls, but only {open_files} open files allowed (ulimit -Hn)", flush=True)


def _server_settings():
    names = ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS")
    return {name: os.environ[name] for name in names if name in os.environ}


def _summarise(rows):
    def median(app, key):
        return statistics.median(row[key] for row in rows if row["app"] == app)

    return {
        "cpu_ratio_bare_over_project": median("bare", "cpu_ms_per_request") / median("project", "cpu_ms_per_request"),
        "rps_ratio_project_over_bare": median("project", "requests_per_s") / median("bare", "requests_per_s"),
        "bare_cpu_ms": median("bare", "cpu_ms_per_request"),
        "project_cpu_ms": median("project", "cpu_ms_per_request"),
        "bare_rps": median("bare", "requests_per_s"),
        "cpu_ratio_signed_bare_over_project": median("bare+sig", "cpu_ms_per_request") / median("project", "cpu_ms_per_request"),
        "signed_bare_cpu_ms": median("bare+sig", "cpu_ms_per_request"),
        # The floor: a webhook that reads the form and checks the signature once, and nothing else.
        "cpu_ratio_bare_over_lean": median("bare", "cpu_ms_per_request") / median("form+sig1", "cpu_ms_per_request"),
        "lean_cpu_ms": median("form+sig1", "cpu_ms_per_request"),
        "project_rps": median("project", "requests_per_s"),
    }


def _print_burst(burst):
    print(
        f"burst: {burst['calls']} calls at once -> {burst['verified']}/{burst['calls']} verified, "
        f"{burst['webhooks']} webhooks, {burst['non_200']} non-200, {burst['over_15_s']} over 15 s\n"
        f"  hop latency p50 {burst['hop_p50_s']:.3f} s, p95 {burst['hop_p95_s']:.3f} s, "
        f"p99 {burst['hop_p99_s']:.3f} s, max {burst['hop_max_s']:.3f} s; whole burst {burst['wall_s']:.2f} s\n"
        f"  p95 by hop: {', '.join(f'{path} {p95:.3f} s' for path, p95 in burst['hop_p95_by_path_s'].items())}\n"
        f"  CPU: server workers {burst['workers_cpu_s']:.2f} s, load generator {burst['load_generator_cpu_s']:.2f} s, "
        f"Verify stand-in {burst['verify_standin_cpu_s']:.2f} s (server ÷ stand-in {burst['server_per_standin_cpu']:.1f}); "
        f"machine idle {100 * burst['machine_idle_share']:.0f}%; "
        f"load generator {100 * burst['load_generator_share_of_2_cores']:.0f}% of the two cores"
        + (
            f"\n  speech: {burst['speech']['spoken_s_per_call']:.1f} s spoken and keyed per call; whole burst, "
            f"first ring to the last call's end, {burst['speech']['whole_burst_s']:.1f} s"
            if "speech" in burst
            else ""
        )
        + (f"\n  errors: {burst['errors']}" if burst["errors"] else ""),
        flush=True,
    )


def _print_twiml(rows, summary):
    print("TwiML-only hop (silence at the code prompt), alternating:")
    for row in rows:
        print(
            f"  round {row['round']} {row['app']:<9} {row['cpu_ms_per_request']:.3f} ms CPU/request, "
            f"{row['requests_per_s']:.0f} req/s (load generator {row['load_generator_cpu_s']:.2f} s CPU, "
            f"idle {100 * row['machine_idle_share']:.0f}%)"
        )
    print(
        f"  ratio bare/project CPU per request {summary['cpu_ratio_bare_over_project']:.2f}, "
        f"project/bare req/s {summary['rps_ratio_project_over_bare']:.2f}; "
        f"bare+sig/project CPU per request {summary['cpu_ratio_signed_bare_over_project']:.2f}; "
        f"bare/form+sig1 (the floor) {summary['cpu_ratio_bare_over_lean']:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
