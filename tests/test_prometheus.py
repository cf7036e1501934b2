"""The real thing: Debian's Prometheus scrapes gunicorn as the Procfile runs it, and reads the calls back."""

import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from app.simulator import place_call
from bench.server import free_port
from tests.served import CODE, production_server

ROOT = Path(__file__).resolve().parent.parent


def debian_tool(name):
    """A program of Debian's `prometheus` package; skipped outside CI when missing, a failure in CI (.ci/run installs it)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install prometheus, as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def readme_yaml(starting_with):
    """The documentation's ```yaml block that begins with `starting_with`."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "operating.md").read_text(), re.S)
    return next(block for block in blocks if block.startswith(starting_with))


def test_promtool_accepts_the_readme_s_alert_rules(tmp_path):
    rules = tmp_path / "alerts.yml"
    rules.write_text(readme_yaml("groups:"))
    checked = subprocess.run([debian_tool("promtool"), "check", "rules", str(rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


# Made-up series, a minute apart, and when each rule must fire: `promtool test rules` checks both ways.
RULE_TESTS = """
rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # 20 of 100 requests a minute fail for Twilio's own reasons (5xx), 30 more for the caller's (60200).
      - {series: 'ivr_verify_errors_total{action="send", error="http_5xx"}', values: '0+20x10'}
      - {series: 'ivr_verify_errors_total{action="send", error="60200"}', values: '0+30x10'}
      - {series: 'ivr_verify_request_seconds_count{action="send"}', values: '0+100x10'}
    alert_rule_test:
      - {eval_time: 2m, alertname: VerifyUnavailable, exp_alerts: []}
      - eval_time: 8m
        alertname: VerifyUnavailable
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: "Twilio Verify is failing: callers hear 'We cannot verify your phone right now'"}
  - interval: 1m
    input_series:
      # 5% of requests fail for Twilio's reasons and 30% for the callers' (a wrong number, 60200): no page.
      - {series: 'ivr_verify_errors_total{action="check", error="network"}', values: '0+5x10'}
      - {series: 'ivr_verify_errors_total{action="send", error="60200"}', values: '0+30x10'}
      - {series: 'ivr_verify_request_seconds_count{action="check"}', values: '0+100x10'}
    alert_rule_test:
      - {eval_time: 10m, alertname: VerifyUnavailable, exp_alerts: []}
  - interval: 1m
    input_series:
      # 3 approved and 1 failed a minute for 20 minutes, then the other way round.
      - {series: 'ivr_verifications_finished_total{outcome="approved", reason=""}', values: '0+3x20 60+1x20'}
      - {series: 'ivr_verifications_finished_total{outcome="failed", reason="too_many_attempts"}', values: '0+1x20 20+3x20'}
    alert_rule_test:
      - {eval_time: 20m, alertname: VerificationSuccessRateDrop, exp_alerts: []}
      - {eval_time: 32m, alertname: VerificationSuccessRateDrop, exp_alerts: []}
      - eval_time: 40m
        alertname: VerificationSuccessRateDrop
        exp_alerts:
          - exp_labels: {severity: ticket}
            exp_annotations: {summary: "Most callers fail verification: see the reasons in ivr_verifications_finished_total"}
  - interval: 1m
    input_series:
      # The same share failed, but too few calls to say anything.
      - {series: 'ivr_verifications_finished_total{outcome="approved", reason=""}', values: '0+0.1x40'}
      - {series: 'ivr_verifications_finished_total{outcome="failed", reason="no_input"}', values: '0+0.3x40'}
    alert_rule_test:
      - {eval_time: 40m, alertname: VerificationSuccessRateDrop, exp_alerts: []}
  - interval: 1m
    input_series:
      # One lockout a minute, then four: two a minute on each of two dynos.
      - {series: 'ivr_lockouts_total{instance="web.1"}', values: '0+0.5x10 5+2x10'}
      - {series: 'ivr_lockouts_total{instance="web.2"}', values: '0+0.5x10 5+2x10'}
    alert_rule_test:
      - {eval_time: 10m, alertname: LockoutSpike, exp_alerts: []}
      - eval_time: 20m
        alertname: LockoutSpike
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: "A spike of lockouts: 36 calls turned away in 10 minutes"}
  - interval: 1m
    input_series:
      # Two dynos scraped, both reading the database's count of the hour, one scrape behind the other.
      - {series: 'ivr_codes_sent_this_hour{instance="web.1"}', values: '1500 2000 2001'}
      - {series: 'ivr_codes_sent_this_hour{instance="web.2"}', values: '1400 1990 1999'}
      - {series: 'ivr_send_cap_per_hour{instance="web.1"}', values: '2500 2500 2500'}
      - {series: 'ivr_send_cap_per_hour{instance="web.2"}', values: '2500 2500 2500'}
    alert_rule_test:
      - {eval_time: 0m, alertname: SendCapNear, exp_alerts: []}
      - {eval_time: 1m, alertname: SendCapNear, exp_alerts: []}
      - eval_time: 2m
        alertname: SendCapNear
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: "2001 codes sent this hour, past 80% of the cap: callers past it get no code"}
"""


def test_each_alert_rule_fires_when_it_should_and_only_then(tmp_path):
    (tmp_path / "alerts.yml").write_text(readme_yaml("groups:"))
    (tmp_path / "tests.yml").write_text(RULE_TESTS)
    tested = subprocess.run([debian_tool("promtool"), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


@pytest.fixture
def served(database_url, tmp_path):
    """gunicorn as the Procfile runs it (two gevent workers, production, metrics on), Verify simulated."""
    prometheus = debian_tool("prometheus")
    metrics_token = secrets.token_hex(16)
    # The test process's own figures stay out of the server's.
    settings = {"WEB_CONCURRENCY": "2", "METRICS_TOKEN": metrics_token, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    with production_server(database_url, tmp_path, 0.05, **settings) as (server, token):
        yield server, token, metrics_token, prometheus


def start_prometheus(prometheus, target, metrics_token, folder):
    """Prometheus on a port of its own, scraping `target` every second with the documentation's scrape config."""
    config = readme_yaml("scrape_configs:")
    config = config.replace("scheme: https", "scheme: http").replace("<METRICS_TOKEN>", metrics_token)
    config = config.replace("my-verification-ivr.herokuapp.com", target)
    (folder / "prometheus.yml").write_text("global:\n  scrape_interval: 1s\n" + config)
    port = free_port()
    command = [
        prometheus,
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with (folder / "prometheus.log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), f"http://127.0.0.1:{port}"


def query(base, expression):
    """The value of a PromQL expression now, or None while Prometheus has none."""
    try:
        answer = requests.get(f"{base}/api/v1/query", params={"query": expression}, timeout=30).json()
    except (requests.RequestException, ValueError):
        return None
    results = answer.get("data", {}).get("result", [])
    return float(results[0]["value"][1]) if results else None


def wait_for(process, base, expression, expected, timeout=120):
    """Once Prometheus has scraped `expected` for `expression`; a failure naming the last value after `timeout` s."""
    value = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"Prometheus exited with {process.returncode}"
        value = query(base, expression)
        if value == expected:
            return value
        time.sleep(0.25)
    pytest.fail(f"{expression} was {value}, not {expected}, after {timeout} s", pytrace=False)


def test_prometheus_reads_every_worker_s_calls_through_the_readme_scrape_config(served, tmp_path):
    server, token, metrics_token, prometheus = served
    url = f"{server.url}/voice"

    def workers_written():
        return {name.rsplit("_", 1)[1] for name in os.listdir(tmp_path / "metrics") if name.startswith("histogram_")}

    # Verified calls until both workers have answered some (which worker accepts is the kernel's choice).
    verified, deadline = 0, time.monotonic() + 120
    while verified < 6 or not {f"{pid}.db" for pid in server.worker_pids()} <= workers_written():
        assert time.monotonic() < deadline, f"one worker answered every one of {verified} calls for 120 s"
        caller = place_call(url, from_=f"+1415555{verified:04d}", auth_token=token)
        caller.press(CODE)
        assert caller.heard("verified")
        verified += 1
    for number in range(2):
        caller = place_call(url, from_=f"+1415556{number:04d}", auth_token=token)
        for _ in range(3):
            caller.press("000000")
        assert caller.heard("not right too many times")
    assert requests.post(url, data={"CallSid": "CA" + "0" * 32}, timeout=5).status_code == 403

    process, base = start_prometheus(prometheus, f"127.0.0.1:{server.port}", metrics_token, tmp_path)
    try:
        wait_for(process, base, 'up{job="verification-ivr"}', 1.0)
        calls = verified + 2
        wait_for(process, base, "sum(ivr_verifications_started_total)", calls)
        assert query(base, 'sum(ivr_verifications_finished_total{outcome="approved"})') == verified
        assert query(base, 'sum(ivr_verifications_finished_total{reason="too_many_attempts"})') == 2.0
        assert query(base, 'sum(ivr_verify_request_seconds_count{action="send"})') == calls
        assert query(base, 'sum(ivr_verify_request_seconds_count{action="check"})') == verified + 6
        # Every call, and the unsigned request refused on the same route.
        assert query(base, 'sum(ivr_webhook_seconds_count{step="voice.incoming"})') == calls + 1
        assert query(base, 'sum(ivr_signature_refusals_total{reason="missing"})') == 1.0
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
