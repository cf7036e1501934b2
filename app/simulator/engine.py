"""The call engine: plays Twilio's part in a call, webhook by webhook.

It posts the call's fields to the IVR signed exactly as Twilio signs them, checks every
answer against Twilio's TwiML model, then carries out the verbs in order: a <Gather> waits
for keys, silence falls through to the next verb, <Redirect> and Gather actions are followed
(relative URLs resolved against the current document's URL), and the call ends on <Hangup>,
<Reject>, when the document runs out, when the caller hangs up, or when the call is sent to
another host (a Redirect back to a Studio flow, FlowEvent=return, is shown as the variables
the flow's widget gets). A caller can start in an agent's conference (`place_call(conference=…)`);
the Calls API moving the leg (`follow_moves()`) takes them out of it, and a <Dial><Conference>
puts them back, where they stay until the test moves or hangs up. A call the IVR placed
through the Calls API (a callback) is played as a second call once the first has ended
(`callback()`): answered by a person or a machine, or not at all, then its status callback.
A <Dial> shows where the call goes and what goes with it: a <Number>'s url is fetched as the
agent's leg (the whisper the agent hears), a <Sip> URI's headers, a <Client>'s parameters, an
<Enqueue>'s <Task> attributes. Used by the tests and by `flask call`.
"""

import dataclasses
import math
import re
import secrets
import time
from collections import deque
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator

from app.numbers import mask
from app.twilio.standin import sms_text
from app.simulator.twiml_model import InvalidTwiML, validate

ACCOUNT_SID = "AC" + "0" * 32
# Studio's webhook for a flow: a Redirect there with FlowEvent=return hands the call back to the flow.
STUDIO_RETURN = re.compile(r"https://webhooks\.twilio\.com/v1/Accounts/AC[0-9a-f]{32}/Flows/(FW[0-9a-f]{32})")


class CallError(Exception):
    """The IVR answered something Twilio would not accept, or the call never ended."""


class Unreachable(CallError):
    """Nothing answers at the IVR's URL: no server runs there, or the host is unknown."""


@dataclasses.dataclass
class Event:
    """One thing that happened on the call."""

    kind: str
    text: str = ""
    attrs: dict = dataclasses.field(default_factory=dict)

    def describe(self):
        """One line for a transcript."""
        attrs = self.attrs
        if self.kind == "say":
            return f'Say ({attrs.get("voice", "default voice")}, {attrs.get("language", "en-US")}): "{self.text}"'
        if self.kind == "listen":
            speech = ", speech allowed" if "speech" in attrs.get("input", "dtmf") else ""
            digits = attrs.get("numDigits", "any number of")
            return (
                f"Gather: listening for {digits} digit{'' if digits == '1' else 's'}, "
                f"'{attrs.get('finishOnKey', '#')}' to finish, {attrs.get('timeout', '5')} s timeout{speech}"
            )
        if self.kind == "keys":
            return f"Caller: {self.text}"
        if self.kind == "webhook":
            return f"-> {attrs['method']} {self.text} ({attrs['status']})"
        if self.kind == "end":
            return f"Call ended: {self.text}"
        if self.kind == "sms":
            return self.text
        if self.kind == "status":
            return f"Status callback -> {attrs['method']} {self.text} ({attrs['status']})"
        if self.kind == "dial":
            details = attrs.get("headers") or attrs.get("parameters") or {}
            lines = [f"Dial: {mask(self.text) if self.text.startswith('+') else self.text}"]
            return "\n".join(lines + [f"   {name}: {value}" for name, value in details.items()])
        if self.kind == "whisper":
            return f'Agent hears ({attrs.get("voice", "default voice")}, {attrs.get("language", "en-US")}): "{self.text}"'
        if self.kind == "studio":
            lines = [f"Back to Studio flow {self.text}, the widget's variables:"]
            return "\n".join(lines + [f"   {name}: {value}" for name, value in attrs.items()])
        if self.kind == "conference":
            return f"Conference: {self.text}"
        if self.kind == "placed":
            return f"Call back: {self.text}"
        if self.kind == "moved":
            return f"Calls API: the caller's leg moved to {self.text}"
        if self.kind == "enqueue":
            return f"Enqueue: workflow {self.text}\n   task attributes: {attrs.get('task', '(none)')}"
        labels = {"play": "Play", "pause": "Pause", "redirect": "Redirect to"}
        return f"{labels.get(self.kind, self.kind.capitalize())}: {self.text}".rstrip(": ")


class FlaskTransport:
    """Delivers webhooks to a Flask app in this process, through its test client."""

    def __init__(self, app):
        self.client = app.test_client()

    def request(self, method, url, params, headers):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        base_url = f"{parts.scheme}://{parts.netloc}"
        data = params if method == "POST" else None
        response = self.client.open(path, method=method, base_url=base_url, data=data, headers=headers)
        return response.status_code, response.content_type or "", response.get_data(as_text=True)


class HttpTransport:
    """Delivers webhooks to a running server over HTTP, as Twilio does."""

    def __init__(self, timeout=15):
        self.session = requests.Session()
        self.timeout = timeout

    def request(self, method, url, params, headers):
        data = params if method == "POST" else None
        try:
            response = self.session.request(
                method, url, data=data, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.ConnectionError as error:
            raise Unreachable(f"nothing answers at {url} ({_why_unreachable(error)})") from None
        except requests.RequestException as error:
            raise CallError(f"{method} {url} failed: {type(error).__name__}") from None
        return response.status_code, response.headers.get("Content-Type", ""), response.text


def _why_unreachable(error):
    """'connection refused', 'host not found' or the error's name: why a request found no server."""
    text = str(error).lower()
    if "refused" in text:
        return "connection refused"
    if "resolve" in text or "name or service" in text or "nodename" in text:
        return "host not found"
    return type(error).__name__


def call_fields(from_, to):
    """The fields Twilio sends with every webhook of a new inbound call."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + secrets.token_hex(16),
        "CallStatus": "ringing",
        "Called": to,
        "Caller": from_,
        "Direction": "inbound",
        "From": from_,
        "FromCountry": "US",
        "To": to,
        "ToCountry": "US",
    }


class Call:
    """One simulated inbound call; press(), silence() and speak() answer its Gathers."""

    def __init__(
        self,
        transport,
        url,
        auth_token,
        from_,
        to,
        params=None,
        sms_source=None,
        max_webhooks=60,
        on_event=None,
        status_callback=None,
        status_callback_method="POST",
        clock=time.monotonic,
    ):
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.fields = {**call_fields(from_, to), **(params or {})}
        self.events = []
        self.ended = False
        self.sms_source = sms_source
        self.max_webhooks = max_webhooks
        self.on_event = on_event
        self._sms_seen = len(sms_source.sent) if sms_source else 0
        self._auth_token = auth_token
        # The calls the stand-in placed before this one began are not this call's.
        self._placed_seen = len(getattr(sms_source, "calls", ()))
        self._webhooks = 0
        self._verbs = deque()
        self._document_url = url
        self._gather = None
        self._turn_start = 0
        self._start_url = url
        self.status_callback = urljoin(url, status_callback) if status_callback else None
        self.status_callback_method = status_callback_method.upper()
        self._clock = clock
        self._answered = None
        # The conference the caller is in, with the agent, or None.
        self.conference = None

    # -- what a test or a person does ---------------------------------------------------

    def start(self):
        """Ring the IVR and run until the first Gather or the end of the call."""
        self._fetch("POST", self._start_url, {})
        self._run()
        return self

    def in_conference(self, name):
        """Start the call where a contact center has it: in conference `name`, talking with an agent."""
        self.fields["CallStatus"] = "in-progress"
        live = getattr(self.sms_source, "live", None)
        if live is not None:
            # Twilio's Calls API knows the call, as it knows every call in progress.
            live.add_call(self.fields["AccountSid"], self.fields["CallSid"], self.fields["From"], self.fields["To"])
            live.add_conference(self.fields["AccountSid"], name)
        self._join(name)
        return self

    def follow_moves(self):
        """Carry out what the Calls API asked of this call (a new Url): the caller leaves the conference for it."""
        live = getattr(self.sms_source, "live", None)
        moves = [move for move in (live.moves if live else []) if move[0] == self.fields["CallSid"]]
        if not moves:
            raise CallError("the Calls API has not moved this call")
        live.moves[:] = [move for move in live.moves if move[0] != self.fields["CallSid"]]
        _, url, method = moves[-1]
        self._turn_start = len(self.events)
        if self.conference:
            self._record("conference", f"caller leaves {self.conference}; the agent stays on, alone")
            self.conference = None
        self._gather = None
        self._record("moved", url, {"method": method})
        self._fetch(method, url, {})
        self._run()
        return self

    def callback(self, answered_by="human"):
        """The next call the IVR placed since this one began, played as Twilio plays it; the new Call.

        Answered (`answered_by` is Twilio's AnsweredBy: human, machine_start, …) its Url is fetched
        with the new call's fields, and the callee's keys go to its Gathers; None: it rings out,
        and only its status callback says so (no-answer).
        """
        placed = self.placed_back
        if not placed:
            raise CallError("the IVR placed no call")
        self._placed_seen += 1
        sid, form = placed[0]["sid"], placed[0]["form"]
        fields = {"CallSid": sid, "Direction": "outbound-api", "FromCountry": "US", "ToCountry": "US"}
        if answered_by:
            fields["AnsweredBy"] = answered_by
        callee = Call(
            self.transport, form["Url"], self._auth_token, form["From"], form["To"], params=fields,
            sms_source=self.sms_source, max_webhooks=self.max_webhooks, on_event=self.on_event,
            status_callback=form.get("StatusCallback"), status_callback_method=form.get("StatusCallbackMethod", "POST"),
            clock=self._clock,
        )  # fmt: skip
        who = {"human": "a person answers", None: "nobody answers"}.get(answered_by, f"a machine answers ({answered_by})")
        callee._record("placed", f"the IVR calls {mask(form['To'])} from {mask(form['From'])}: {who}", {"sid": sid})
        if not answered_by:
            callee._end("no answer", status="no-answer")
            return callee
        self.sms_source.live.calls[sid]["status"] = "in-progress"
        callee._fetch(form.get("Method", "POST"), form["Url"], {})
        callee._run()
        return callee

    @property
    def placed_back(self):
        """The calls the IVR placed through the Calls API since this one began, not played yet."""
        return getattr(self.sms_source, "calls", [])[self._placed_seen :]

    def press(self, keys):
        """Key in `keys` at the listening Gather ('' is silence); run on to the next one."""
        gather = self._listening()
        self._turn_start = len(self.events)
        self._record("keys", repr(keys) if keys else "(silence)")
        inputs = gather.get("input", "dtmf").split()
        digits, finished_on = self._collect(gather, keys) if "dtmf" in inputs else ("", "")
        if digits:
            return self._submit(gather, {"Digits": digits, "FinishedOnKey": finished_on})
        return self._empty(gather, finished_on)

    def silence(self):
        """Say and press nothing until the Gather times out."""
        return self.press("")

    def speak(self, words, confidence="0.92"):
        """Answer the listening Gather by voice, if it accepts speech."""
        gather = self._listening()
        self._turn_start = len(self.events)
        self._record("keys", f'(says) "{words}"')
        if "speech" not in gather.get("input", "dtmf").split():
            return self._empty(gather)
        return self._submit(gather, {"SpeechResult": words, "Confidence": confidence})

    def hang_up(self):
        """The caller hangs up: the call ends where it is, and Twilio reports it completed."""
        if self.ended:
            raise CallError("the call has already ended")
        self._record("keys", "(hangs up)")
        self._end("caller hung up")
        return self

    def send_raw(self, **fields):
        """Post arbitrary fields to the listening Gather's action, as a forged-but-signed request would."""
        gather = self._listening()
        self._turn_start = len(self.events)
        self._record("keys", f"(raw) {fields!r}")
        return self._submit(gather, fields)

    # -- what a test asks ---------------------------------------------------------------

    def heard(self, text):
        """True if the caller heard `text` (any case) since their last key press."""
        return text.lower() in " ".join(self.said_since_last_input()).lower()

    def said_since_last_input(self):
        """What the caller heard since their last key press."""
        return [event.text for event in self.events[self._turn_start :] if event.kind == "say"]

    @property
    def listening(self):
        """The attributes of the Gather waiting for input, or None."""
        return dict(self._gather.attrib) if self._gather is not None else None

    @property
    def dialed(self):
        """The numbers the call was forwarded to."""
        return [event.text for event in self.events if event.kind == "dial"]

    @property
    def agent_heard(self):
        """What the agent heard in the whisper before the caller was put through."""
        return [event.text for event in self.events if event.kind == "whisper"]

    @property
    def studio_return(self):
        """The widget variables the Studio flow got back ({"verified": "true", ...}), or None if the call never returned."""
        returns = [event.attrs for event in self.events if event.kind == "studio"]
        return returns[-1] if returns else None

    @property
    def end_reason(self):
        """How the call ended ('hangup', 'reject', 'dial', 'end of document'), or None."""
        ends = [event.text for event in self.events if event.kind == "end"]
        return ends[-1] if ends else None

    @property
    def last_code(self):
        """The code most recently texted to the caller, if the IVR runs on the stand-in."""
        codes = [event.attrs["code"] for event in self.events if event.kind == "sms"]
        return codes[-1] if codes else None

    def transcript(self):
        """The whole call, one line per event."""
        return "\n".join(event.describe() for event in self.events)

    # -- Twilio's side ------------------------------------------------------------------

    def _run(self):
        """Carry out verbs until a Gather listens or the call ends."""
        while self._verbs:
            verb = self._verbs.popleft()
            if self._perform(verb):
                return
        if not self.ended and self._gather is None and self.conference is None:
            self._end("end of document")

    def _perform(self, verb):
        """Carry out one verb; True when the call now waits for the caller or has moved on."""
        tag, attrs = verb.tag, dict(verb.attrib)
        text = (verb.text or "").strip()
        if tag == "Say":
            self._record("say", text, attrs)
        elif tag == "Play":
            self._record("play", text or f"digits {attrs.get('digits', '')}", attrs)
        elif tag == "Pause":
            self._record("pause", f"{attrs.get('length', '1')} s", attrs)
        elif tag == "Gather":
            for child in verb:
                self._perform(child)
            self._gather = verb
            self._record("listen", "", attrs)
            return True
        elif tag == "Redirect":
            self._record("redirect", text, attrs)
            self._fetch(attrs.get("method", "POST"), self._resolve(text), {})
            return self.ended
        elif tag == "Dial":
            return self._dial(verb, text, attrs)
        elif tag == "Enqueue":
            task = verb.find("Task")
            attributes = (task.text or "").strip() if task is not None else ""
            self._record("enqueue", attrs.get("workflowSid") or text, {**attrs, "task": attributes})
            # The caller waits in the queue until an agent takes the task; the document goes on after.
        elif tag in {"Hangup", "Reject"}:
            self._end(tag.lower())
            return True
        else:
            self._record("unsupported", f"<{tag}> is not simulated; skipped", attrs)
        return False

    def _dial(self, verb, text, attrs):
        if text:
            self._record("dial", text, attrs)
        for noun in verb:
            self._dial_noun(noun)
        if self.conference is not None:
            return True  # in the conference until moved, or until it ends
        if "action" in attrs:
            extra = {"DialCallStatus": "completed", "DialCallSid": "CA" + secrets.token_hex(16), "DialCallDuration": "30"}
            self._fetch(attrs.get("method", "POST"), self._resolve(attrs["action"]), extra)
            return self.ended
        # Without an action, the call goes on with the next verb once the other party hangs up.
        return False

    def _dial_noun(self, noun):
        """One party a <Dial> calls, as Twilio reaches it."""
        target = (noun.text or "").strip()
        if noun.tag == "Sip":
            uri, _, query = target.partition("?")
            pairs = (pair.partition("=") for pair in query.split("&") if pair)
            self._record("dial", uri, {"headers": {name: unquote(value) for name, _, value in pairs}})
        elif noun.tag == "Conference":
            self._join(target, noun.attrib)
        elif noun.tag == "Client":
            identity = target or " ".join((child.text or "").strip() for child in noun if child.tag == "Identity")
            parameters = {child.get("name"): child.get("value") for child in noun if child.tag == "Parameter"}
            self._record("dial", f"client:{identity}", {"parameters": parameters})
        else:
            self._record("dial", target, dict(noun.attrib))
            if noun.tag == "Number" and noun.get("url"):
                self._whisper(noun, target)

    def _whisper(self, number, dialed):
        """The agent answers: Twilio runs the Number's url on their leg alone, before putting the caller through."""
        url = self._resolve(number.get("url"))
        if urlsplit(url).netloc != urlsplit(self._start_url).netloc:
            self._record("note", f"the agent's whisper is at another host, not fetched: {url}")
            return
        agent_leg = {
            **self.fields,
            "CallSid": "CA" + secrets.token_hex(16),
            "ParentCallSid": self.fields["CallSid"],
            "Direction": "outbound-dial",
            "To": dialed,
            "Called": dialed,
            "CallStatus": "in-progress",
        }
        for verb in self._load(number.get("method", "POST"), url, agent_leg):
            if verb.tag == "Say":
                self._record("whisper", (verb.text or "").strip(), dict(verb.attrib))
            else:
                self._record("note", f"<{verb.tag}> on the agent's leg is not simulated; skipped")

    def _join(self, name, attrs=None):
        self.conference = name
        attrs = dict(attrs or {})
        self._record("conference", f"caller joins {name}, the agent there", attrs)

    def _submit(self, gather, extra):
        self._gather = None
        action = self._resolve(gather.get("action") or self._document_url)
        self._fetch(gather.get("method", "POST"), action, extra)
        self._run()
        return self

    def _empty(self, gather, finished_on=""):
        """No input (or the finishing key alone): Twilio moves on to the verb after the Gather, unless told to post anyway."""
        if gather.get("actionOnEmptyResult") == "true":
            return self._submit(gather, {"Digits": "", "FinishedOnKey": finished_on})
        self._gather = None
        self._run()
        return self

    @staticmethod
    def _collect(gather, keys):
        """The Digits and FinishedOnKey Twilio would send for these key presses."""
        finish_on = gather.get("finishOnKey", "#")
        limit = int(gather.get("numDigits", "0") or 0)
        digits = ""
        for key in keys:
            if finish_on and key == finish_on:
                return digits, key
            digits += key
            if limit and len(digits) >= limit:
                break
        return digits, ""

    def _listening(self):
        if self.ended:
            raise CallError("the call has ended; nobody is listening")
        if self._gather is None:
            raise CallError("no Gather is listening")
        return self._gather

    def _resolve(self, url):
        return urljoin(self._document_url, url)

    def _fetch(self, method, url, extra):
        """Send one signed webhook and load the TwiML it answers with."""
        if urlsplit(url).netloc != urlsplit(self._start_url).netloc:
            # Twilio would follow it, but the call has then left the IVR under test.
            if not self._back_to_studio(url):
                self._end(f"sent to another host, not followed: {url}")
            return
        root = self._load(method, url, {**self.fields, **extra})
        self._document_url = url
        self._verbs = deque(root)

    def _back_to_studio(self, url):
        """A Redirect to a Studio flow's webhook with FlowEvent=return: the flow takes the call on; True if it was one."""
        flow = STUDIO_RETURN.fullmatch(url.split("?", 1)[0])
        variables = dict(parse_qsl(urlsplit(url).query))
        if flow is None or variables.pop("FlowEvent", "") != "return":
            return False
        self._record("studio", flow[1], variables)
        self._end(f"returned to Studio flow {flow[1]}")
        return True

    def _load(self, method, url, params):
        """Send one signed webhook; the <Response> it answers, checked against Twilio's model."""
        self._webhooks += 1
        if self._webhooks > self.max_webhooks:
            self._fail(f"the call did not end after {self.max_webhooks} webhooks: is the IVR in a loop?")
        method = method.upper()
        status, content_type, body = self._send(method, url, params)
        self._record("webhook", url, {"method": method, "status": status, "twiml": body})
        self._collect_sms()
        if self._answered is None:
            self._answered = self._clock()
        self.fields["CallStatus"] = "in-progress"
        if status != 200:
            self._fail(f"{method} {url} answered HTTP {status}")
        if "xml" not in content_type:
            self._fail(f"{method} {url} answered {content_type or 'no content type'}, not TwiML")
        try:
            return validate(body)
        except InvalidTwiML as error:
            problem = f"{method} {url} answered invalid TwiML: {error}"
        self._fail(problem)

    def _fail(self, problem):
        """Raise CallError saying `problem`, once the call has ended as Twilio ends it: an application error, status callback and all."""
        if not self.ended:
            self._end("application error")
        raise CallError(problem)

    def _send(self, method, url, params):
        """One request signed as Twilio signs it: GET carries the fields in the query string."""
        if method == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
            params = {}
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        return self.transport.request(method, url, params, headers)

    def _report_status(self, status):
        """Twilio's status callback for the call's end (completed, no-answer, …), with its duration."""
        elapsed = self._clock() - self._answered if self._answered is not None else 0
        extra = {
            "CallStatus": status,
            "CallDuration": str(math.ceil(elapsed)),
            "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        status, _, _ = self._send(self.status_callback_method, self.status_callback, {**self.fields, **extra})
        self._record("status", self.status_callback, {"method": self.status_callback_method, "status": status})

    def _collect_sms(self):
        if self.sms_source is None:
            return
        for to, code, *how in self.sms_source.deliveries[self._sms_seen :]:
            self._record("sms", sms_text(to, code, *how), {"code": code})
        self._sms_seen = len(self.sms_source.sent)

    def _end(self, reason, status="completed"):
        self.ended = True
        self._gather = None
        self.conference = None
        live = getattr(self.sms_source, "live", None)
        if live is not None and self.fields["CallSid"] in live.calls:
            live.calls[self.fields["CallSid"]]["status"] = status
        self._verbs.clear()
        self.fields["CallStatus"] = status
        self._record("end", reason)
        if self.status_callback:
            self._report_status(status)

    def _record(self, kind, text="", attrs=None):
        event = Event(kind, text, attrs or {})
        self.events.append(event)
        if self.on_event:
            self.on_event(event)


def place_call(target, from_, to="+15005550006", url=None, auth_token=None, params=None, conference=None, **options):
    """Place a call on a Flask app (in process) or a URL (over HTTP) and run to the first Gather.

    With `conference`, the call starts in that conference with an agent instead, as a contact
    center's call is when the agent asks for a verification.
    """
    if hasattr(target, "test_client"):
        app = target
        transport = FlaskTransport(app)
        url = url or "https://ivr.example.com/voice"
        auth_token = auth_token or app.config["TWILIO_AUTH_TOKEN"]
        client = app.extensions.get("twilio_client")
        http_client = getattr(client, "http_client", None)
        options.setdefault("sms_source", http_client if hasattr(http_client, "sent") else None)
    else:
        transport = HttpTransport()
        url = url or target
    call = Call(transport, url, auth_token, from_, to, params=params, **options)
    return call.in_conference(conference) if conference else call.start()
