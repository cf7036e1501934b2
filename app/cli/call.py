"""`flask call`: place a simulated call on the app, or on a running server, and show it."""

import contextlib
import logging
import re
from urllib.parse import urlencode, urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from app.calls import risk
from app.cli.db import connected
from app.numbers import mask
from app.simulator import CallError, Unreachable, place_call, script
from app.storage import lookups
from app.twilio.number_setup import VOICE_PATH, WEBHOOKS
from app.twilio.standin import LocalVerify

CALLER = "+14155550106"
SERVICE_NUMBER = "+14155550100"
PROMPT = "Keys (digits * #, 'code', 'say:words', empty line = silence)"
# With --url the stand-in's codes are printed on the server's console, out of this command's sight.
REMOTE_PROMPT = "Keys (digits * #, 'say:words', empty line = silence)"
# A verdict token handed on with the call; whole with -v, for `flask verdict decode`.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# What a person types for a phone number: digits, spaces and the punctuation around them, perhaps a + first.
DIALLED = re.compile(r"\+?[\d\s().-]+")
PUNCTUATION = re.compile(r"[\s().-]")
# Where `flask twilio configure` points the number's status callback, beside its voice URL.
STATUS_PATH = next(value for field, _, value in WEBHOOKS if field == "StatusCallback")
IN_PROCESS_URL = "https://ivr.example.com/voice"
FLOW_SID = re.compile(r"FW[0-9a-f]{32}")
# What a Studio flow's TwiML Redirect widget may add to /studio/verify's URL.
WIDGET_PARAMS = ("to", "account", "language")
AGENT_NEEDS = "in process on the local Verify stand-in (which plays the Calls API), with API_TOKEN set (16 characters or more), without --url or --studio"
QUERY = re.compile(r"\?\S*")
# What Lookup may say a line is (shared/reference/twilio_lookups_v2.json).
LINE_TYPES = ["mobile", "nonFixedVoip", *sorted(risk.LANDLINES), *sorted(risk.NOT_SUPPORTED), "unknown"]
AGE = re.compile(r"(\d+)\s*([hd])")
# Who answers the call placed back, as Twilio's AnsweredBy says it; "none": it rings out.
ANSWERED_BY = {"human": "human", "machine": "machine_start", "none": None}
IN_PROCESS_ONLY = "only in process on the local Verify stand-in, without --url: what its Lookup answers and the calls it places live in its memory, which a running server keeps to itself"
SPEECH_OFF = "'say:' needs SPEECH_INPUT=on (in .env or the environment): without it the IVR listens for keys only"


def _voice_url(ctx, param, value):
    """--url as Twilio would request it: http:// or https:// and a host."""
    if value is not None and (urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc):
        raise click.BadParameter(f"{value!r} is not a URL: add http:// or https://, e.g. http://localhost:5000/voice")
    return value


def _call_number(ctx, param, value):
    """--from or --to as Twilio sends it: E.164 (+1 415 555-0106 is +14155550106), or a withheld caller's word (anonymous)."""
    if not DIALLED.fullmatch(value):
        return value
    if not value.strip().startswith("+"):
        raise click.BadParameter("a number goes in E.164 form, + and country code: e.g. +14155550106")
    return PUNCTUATION.sub("", value)


def _age(ctx, param, value):
    """--sim-swapped as hours: 2h, 3d."""
    if value is None:
        return None
    match = AGE.fullmatch(value.strip().lower())
    if not match:
        raise click.BadParameter(f"{value!r} is not an age: hours or days, e.g. 2h or 3d")
    return int(match[1]) * (24 if match[2] == "d" else 1)


def _flow_sid(ctx, param, value):
    """--studio as Studio names a flow: FW and 32 hex digits."""
    if value is not None and not FLOW_SID.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a flow SID: FW and 32 hex digits, as the flow's page in the console shows it")
    return value


@click.command("call")
@click.option("--url", callback=_voice_url, help="A running server's voice URL (https://…/voice); default: this app, in process.")
@click.option("--keys", "keys", help='What the caller does at each Gather: "123456", "000000,code", ",," (silences), "say:one two".')
@click.option("--from", "from_", default=CALLER, show_default=True, callback=_call_number, help="The caller's number (E.164; spaces, dashes, dots and parentheses are dropped), or anonymous.")
@click.option("--to", default=SERVICE_NUMBER, show_default=True, callback=_call_number, help="The Twilio number called (E.164, written as --from).")
@click.option("--param", "params", multiple=True, metavar="K=V", help="An extra call field, e.g. StirVerstat=TN-Validation-Passed-A.")
@click.option("--status-callback", help=f"Where to post Twilio's status callback when the call ends; default: {STATUS_PATH} beside the voice URL, '' for none.")
@click.option("--studio", "flow", callback=_flow_sid, metavar="FW…", help="Play a Studio flow's TwiML Redirect widget: hand the call to /studio/verify, show what the flow gets back.")
@click.option("--widget-param", "widget_params", multiple=True, metavar="K=V", help=f"With --studio, a parameter of the widget's URL: {', '.join(WIDGET_PARAMS)}.")
@click.option("--agent", "conference", metavar="CONFERENCE", help="Start in an agent's conference; the agent asks the API to verify the caller, who comes back to it.")
@click.option("--line-type", type=click.Choice(LINE_TYPES), help="What Lookup says the line is (the caller's, and by account the phone on file); with RISK_CHECKS.")
@click.option("--sim-swapped", callback=_age, metavar="AGE", help="Lookup says the SIM card was changed AGE ago: 2h, 3d.")
@click.option("--forwarding", is_flag=True, help="Lookup says the number's calls are forwarded.")
@click.option("--callback", "answered", type=click.Choice(list(ANSWERED_BY)), help="Who answers the call the IVR places back (CALLBACK=on), played once the call ends; default human.")
@click.option("-v", "--verbose", is_flag=True, help="Show each webhook URL and the raw TwiML.")
@with_appcontext
def call_command(url, keys, from_, to, params, status_callback, flow, widget_params, conference, line_type, sim_swapped, forwarding, answered, verbose):
    """Place a simulated inbound call and show what the caller hears and does."""
    try:
        steps = script.parse(keys) if keys is not None else None
    except script.ScriptError as error:
        raise click.BadParameter(str(error), param_hint="--keys") from None
    widget = dict(_field(param, "--widget-param") for param in widget_params)
    if widget and not flow:
        raise click.BadParameter("only with --studio FW…", param_hint="--widget-param")
    if set(widget) - set(WIDGET_PARAMS):
        raise click.BadParameter(f"the widget's URL takes {', '.join(WIDGET_PARAMS)}", param_hint="--widget-param")
    if url is None and any(step.kind == "speech" for step in steps or ()) and not _speech_heard():
        raise click.BadParameter(SPEECH_OFF, param_hint="--keys")
    if conference and (url or flow or _stand_in() is None or not current_app.config.get("API_TOKEN")):
        raise click.BadParameter(AGENT_NEEDS, param_hint="--agent")
    said = {"line_type": line_type, "sim_swap": sim_swapped, "call_forwarding": forwarding or None}
    said = {check: value for check, value in said.items() if value is not None}
    if (said or answered) and (url or _stand_in() is None):
        raise click.BadParameter(IN_PROCESS_ONLY, param_hint="--callback" if answered and not said else f"--{_OPTIONS[next(iter(said))]}")
    fields = dict(_field(param) for param in params)
    if url is None:
        _check_tables()
        _set_lookup(said)
    start = url or IN_PROCESS_URL
    if flow:
        start = _studio_url(start, flow, widget)
        status_callback = "" if status_callback is None else status_callback
    through = f" through Studio flow {flow}'s TwiML Redirect" if flow else ""
    click.echo(f"Calling {mask(to)} from {mask(from_)}{through} ({url or _verify_used(from_)})")
    with _quiet_stand_in(), _app_logs(verbose):
        try:
            call = place_call(
                url or current_app._get_current_object(),
                from_=from_,
                to=to,
                auth_token=current_app.config["TWILIO_AUTH_TOKEN"],
                params=fields,
                url=start,
                on_event=lambda event: _show(event, verbose),
                status_callback=_status_callback(url or IN_PROCESS_URL, status_callback),
                conference=conference,
            )
            try:
                if conference:
                    _agent_asks(call, conference)
                _play(call, steps, REMOTE_PROMPT if url else PROMPT, speech=url is not None or _speech_heard())
                if url is None and call.placed_back:
                    _call_back(call, steps, ANSWERED_BY[answered or "human"])
                elif answered:
                    click.echo("No call was placed back (CALLBACK=on calls a landline back once its call has ended).")
                if call.conference:
                    click.echo(f"The caller talks with the agent in {call.conference} again; the simulation ends here.")
                    call.hang_up()
            except BaseException:
                # However this command stops, the server hears the call end, as Twilio would tell it.
                if not call.ended:
                    with contextlib.suppress(CallError):
                        call.hang_up()
                raise
        except Unreachable as error:
            raise click.ClickException(f"{error}: is a server running there? (`make run` starts one on http://localhost:5000)") from None
        except script.NoCode as error:
            raise click.ClickException(f"{error}: {_why_no_code(call, remote=url is not None)}") from None
        except (CallError, script.ScriptError) as error:
            said = str(error) if verbose else _shortened(str(error))
            if said == f"POST {url} answered HTTP 404" and not urlsplit(url).path.rstrip("/").endswith(VOICE_PATH):
                said += f": the voice webhook is {VOICE_PATH}"
            raise click.ClickException(said) from None


# The option that sets each check's answer.
_OPTIONS = {"line_type": "line-type", "sim_swap": "sim-swapped", "call_forwarding": "forwarding"}


def _set_lookup(said):
    """The stand-in's Lookup answers as the options say, RISK_CHECKS widened to what they need, and no kept answer in the way."""
    stand_in = _stand_in()
    if stand_in is None:
        return
    wanted = risk.checks(current_app.config)
    missing = [check for check in said if check not in wanted]
    if missing:
        current_app.config["RISK_CHECKS"] = ",".join([*wanted, *missing])
        options = ", ".join(f"--{_OPTIONS[check]}" for check in missing)
        verb = "needs" if len(missing) == 1 else "need"
        click.echo(f"RISK_CHECKS={current_app.config['RISK_CHECKS']} for this call ({options} {verb} it; set it in .env for every call)")
    if risk.checks(current_app.config):
        # For every number: the caller's, and the phone on file of an account keyed in.
        stand_in.lookup.answer(
            None,
            line_type=said.get("line_type", "mobile"),
            sim_swapped_hours=said.get("sim_swap"),
            forwarding=bool(said.get("call_forwarding")),
        )
    if said:
        # An answer kept from an earlier call would be heard instead of the one set now; without
        # options, the kept answers stand, as they would for a real caller.
        lookups.forget_all()


def _call_back(call, steps, answered_by):
    """The call the IVR placed once the caller's ended (a landline called back), played as a second call.

    The callee keys what the script says next, 1 when it has nothing left.
    """
    callee = call.callback(answered_by)
    if steps is not None and not steps:
        steps.append(script.parse_step("1"))
    try:
        _play(callee, steps, PROMPT, speech=_speech_heard())
    except BaseException:
        if not callee.ended:
            with contextlib.suppress(CallError):
                callee.hang_up()
        raise


def _why_no_code(call, remote):
    """Why `call` has no code for 'code' to stand for, as the caller can put it right."""
    if remote:
        return "with --url the stand-in runs in the server: read the code on its console"
    actions = [event.attrs.get("action", "") for event in call.events if event.kind == "listen"]
    if actions and urlsplit(actions[-1]).path.endswith("/account/entered"):
        return (
            f"the call asked for an account number first (VERIFY_BY={current_app.config['VERIFY_BY']}): "
            'key it before code, as in --keys "12345678#,code"'
        )
    return "it is known once the local stand-in has sent one; with Twilio Verify, key the digits the phone received"


def _agent_asks(call, conference):
    """The agent's desktop posts to the API; the Calls API (the stand-in) moves the caller's leg, Twilio follows."""
    sid = call.fields["CallSid"]
    click.echo(f"Agent: POST /api/v1/calls/{sid}/verification, back to conference {conference}")
    headers = {"Authorization": f"Bearer {current_app.config['API_TOKEN']}"}
    # As a desktop would, at the server's public URL: the one the moved leg is sent back to.
    base = IN_PROCESS_URL.removesuffix(VOICE_PATH)
    body = {"return": {"conference": conference}}
    answer = current_app.test_client().post(f"/api/v1/calls/{sid}/verification", base_url=base, json=body, headers=headers)
    click.echo(f"   API: {answer.status_code} {answer.get_json()['reason']}")
    if answer.status_code != 202:
        raise click.ClickException("the API did not move the caller")
    call.follow_moves()


def _studio_url(voice_url, flow, widget):
    """The URL a TwiML Redirect widget points at, beside the voice URL: /studio/verify?flow=FW…&…."""
    base = voice_url.rstrip("/").removesuffix(VOICE_PATH)
    return f"{base}/studio/verify?{urlencode({'flow': flow, **widget})}"


def _status_callback(url, given):
    """The status callback URL: the one given ('' for none), else the number's, as `flask twilio configure` sets it."""
    if given is not None:
        return given or None
    return urlsplit(url).path.rstrip("/").removesuffix(VOICE_PATH) + STATUS_PATH


def _check_tables():
    """In process the call is recorded: the app's database must have its tables (a host IVR may have none)."""
    if "database" in current_app.extensions:
        with connected():
            pass


def _verify_used(from_):
    """Which Verify an in-process call talks to: with credentials, a real text is sent."""
    if current_app.config.get("USE_LOCAL_VERIFY"):
        return "in process, local Verify stand-in"
    return f"in process, Twilio Verify: a real text message goes to {mask(from_)}"


def _speech_heard():
    """False when this app's Gathers take keys only; a host IVR without the setting may listen for speech."""
    return current_app.config.get("SPEECH_INPUT", True)


def _stand_in():
    """The app's local Verify stand-in, or None when it talks to Twilio."""
    client = getattr(current_app.extensions.get("twilio_client"), "http_client", None)
    return client if isinstance(client, LocalVerify) else None


def _play(call, steps, prompt, speech):
    """Answer each Gather from the script, or from the terminal; hang up when the script runs out.

    A caller back in an agent's conference stays there: the agent hangs up.
    """
    while not call.ended and call.conference is None:
        if steps is None:
            step = _ask(prompt, speech)
        elif steps:
            step = steps.pop(0)
        else:
            step = None
        if step is None:
            call.hang_up()
        else:
            script.perform(call, step)


def _ask(prompt, speech):
    """One step typed at the terminal; end of input hangs up."""
    while True:
        try:
            text = click.prompt(prompt, default="", show_default=False)
        except click.Abort:
            return None
        try:
            step = script.parse_step(text)
        except script.ScriptError as error:
            click.echo(f"  {error}")
            continue
        if step.kind == "speech" and not speech:
            click.echo(f"  {SPEECH_OFF}")
            continue
        return step


def _shortened(text):
    """The verdict tokens in a line cut short: whole, they run to hundreds of characters."""
    return JWT.sub(lambda token: f"{token[0][:16]}… ({len(token[0])}-character verdict token, -v shows it)", text)


def _show(event, verbose):
    """Print one event of the call; webhooks and raw TwiML only with -v."""
    if event.kind == "webhook":
        if verbose:
            click.echo(event.describe())
            click.echo(f"   {event.attrs['twiml']}")
        return
    line = event.describe()
    if not verbose:
        if event.kind in {"redirect", "moved", "status"}:
            # The per-call state in the query string is long and says nothing to a person.
            line = QUERY.sub("", line)
        line = _shortened(line)
    click.echo(f"   {line}" if event.kind in {"say", "play", "pause", "whisper"} else line)


def _field(text, option="--param"):
    """(name, value) of a --param K=V."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not K=V", param_hint=option)
    return name, value


@contextlib.contextmanager
def _quiet_stand_in():
    """The transcript shows the stand-in's text messages; its own console line would repeat them."""
    client = _stand_in()
    if client is None:
        yield
        return
    on_send, client.on_send = client.on_send, None
    try:
        yield
    finally:
        client.on_send = on_send


@contextlib.contextmanager
def _app_logs(verbose):
    """The app's own log lines only with -v: the transcript already says what happens."""
    logger = logging.getLogger("app")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
