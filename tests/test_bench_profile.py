"""A worker's sampled stacks, charged to the hop they served and the part of the code they ran in (bench/cpu_profile.py)."""

import pytest

from bench import cpu_profile

ROOT = "/srv/project"
SITE = "/srv/project/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"


def stack(*frames):
    return ";".join(f"{function} ({path})" for function, path in frames)


GUNICORN = [("handle", f"{SITE}/gunicorn/workers/base_async.py"), ("wsgi_app", f"{SITE}/flask/app.py")]
SIGNED = [("checked", f"{ROOT}/app/calls/security.py")]


def frames(*parts):
    return cpu_profile.parse_raw(stack(*parts) + " 1", ROOT)[0][0]


def test_a_file_is_named_from_the_project_site_packages_or_the_standard_library():
    assert cpu_profile.relative(f"{ROOT}/app/calls/callstate.py", ROOT) == "app/calls/callstate.py"
    assert cpu_profile.relative(f"{SITE}/sqlalchemy/engine/base.py", ROOT) == "sqlalchemy/engine/base.py"
    assert cpu_profile.relative(f"{STDLIB}/logging/__init__.py", ROOT) == "logging/__init__.py"


def test_the_signature_check_is_charged_to_the_hop_whose_view_it_guards():
    sample = frames(*GUNICORN, ("bench_view[/verification/start]", f"{ROOT}/bench/served_wsgi.py"), *SIGNED,
                    ("validate", f"{SITE}/twilio/request_validator.py"), ("new", f"{STDLIB}/hmac.py"))
    assert cpu_profile.hop_of(sample) == "/verification/start"
    assert cpu_profile.part_of(sample) == "signature check"  # hmac belongs to no part: its caller's


def test_without_the_marker_the_view_function_names_the_hop():
    sample = frames(*GUNICORN, *SIGNED, ("incoming", f"{ROOT}/app/calls/voice.py"), ("to_xml", f"{ROOT}/app/calls/twiml.py"))
    assert cpu_profile.hop_of(sample) == "/voice"
    assert cpu_profile.part_of(sample) == "TwiML"


def test_the_innermost_part_wins_over_the_app_code_that_called_it():
    sample = frames(*GUNICORN, *SIGNED, ("check", f"{ROOT}/app/calls/verification/check.py"),
                    ("record", f"{ROOT}/app/storage/records.py"), ("execute", f"{SITE}/sqlalchemy/engine/base.py"),
                    ("info", f"{STDLIB}/logging/__init__.py"))
    assert cpu_profile.hop_of(sample) == "/verification/check"
    assert cpu_profile.part_of(sample) == "logging"


def test_a_verify_request_waiting_on_a_socket_is_the_verify_clients():
    sample = frames(*GUNICORN, ("start", f"{ROOT}/app/calls/verification/start.py"), ("send", f"{ROOT}/app/twilio/verify.py"),
                    ("urlopen", f"{SITE}/urllib3/connectionpool.py"), ("recv_into", f"{STDLIB}/socket.py"))
    assert cpu_profile.part_of(sample) == "Verify client"
    # gevent's cooperative socket under it is gevent's own work
    assert cpu_profile.part_of(sample[:-1] + [("recv", "gevent/_socket3.py")]) == cpu_profile.FRAMEWORK


def test_flask_inside_a_view_is_the_framework_and_the_view_around_it_the_apps():
    sample = frames(*GUNICORN, ("start", f"{ROOT}/app/calls/verification/start.py"), ("url_for", f"{SITE}/flask/helpers.py"))
    assert cpu_profile.part_of(sample) == cpu_profile.FRAMEWORK
    assert cpu_profile.part_of(sample[:-1]) == "the app's other code"


def test_the_hub_and_the_server_outside_any_view_are_the_framework():
    sample = frames(("run", f"{SITE}/gevent/hub.py"), ("handle", f"{SITE}/gunicorn/workers/ggevent.py"))
    assert cpu_profile.hop_of(sample) == cpu_profile.OUTSIDE
    assert cpu_profile.part_of(sample) == cpu_profile.FRAMEWORK


def test_the_table_gives_each_cell_its_share_and_its_cpu_per_call():
    raw = "\n".join([
        stack(*GUNICORN, ("bench_view[/voice]", f"{ROOT}/bench/served_wsgi.py"), ("to_xml", f"{ROOT}/app/calls/twiml.py")) + " 30",
        stack(*GUNICORN, ("bench_view[/voice/outcome]", f"{ROOT}/bench/served_wsgi.py"), *SIGNED) + " 10",
        stack(("run", f"{SITE}/gevent/hub.py")) + " 60",
    ])
    table = cpu_profile.tabulate(cpu_profile.parse_raw(raw, ROOT), cpu_s=2.0, calls=100)
    assert table["hops"] == ["/voice", "/voice/outcome", cpu_profile.OUTSIDE, "total"]
    assert table["parts"]["TwiML"]["/voice"] == {"share": 0.3, "ms_per_call": pytest.approx(6.0)}
    assert table["parts"]["signature check"]["total"]["share"] == 0.1
    assert table["parts"][cpu_profile.FRAMEWORK][cpu_profile.OUTSIDE]["share"] == 0.6
    assert table["parts"]["total"]["total"] == {"share": 1.0, "ms_per_call": pytest.approx(20.0)}
    assert "TwiML" in cpu_profile.format_table(table)
