"""Logs for machines: LOG_FORMAT=json writes one JSON object per line, for log drains."""

import datetime
import json
import logging
import time

from flask import g, has_request_context, request

from app.calls.security import CALL_SID, logged_sid

FORMATS = ("text", "json")
TEXT = "%(levelname)s %(name)s: %(message)s"


def handler(stream, log_format):
    """A handler writing to `stream` in the format LOG_FORMAT names."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.addFilter(CallContext())
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    return handler


def init_app(app):
    """Every "call %s" line's CallSid in Twilio's form only; with LOG_FORMAT=json, one line per webhook answered."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "sids_checked", False):
        logging.setLogRecordFactory(_checking_sids(factory))
    if app.config["LOG_FORMAT"] == "json":
        app.before_request(_started)
        app.after_request(_answered)


def _checking_sids(factory):
    """`factory` making every "call %s…" record show its CallSid only in Twilio's form, CA and 32 hex digits, else '-'.

    One place for every layer's lines: a signed request's CallSid is still the sender's text.
    """

    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        sid = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(record.msg, str) and record.msg.startswith("call %s") and not (isinstance(sid, str) and CALL_SID.fullmatch(sid)):
            record.args = ("-", *record.args[1:])
        return record

    make.sids_checked = True
    return make


class CallContext(logging.Filter):
    """Adds the request's step, and its CallSid once signed and in Twilio's form, while the request is there to ask."""

    def filter(self, record):
        if has_request_context():
            record.step = getattr(record, "step", request.endpoint)
            # The form is read only once parsed (by the signature check): never parsed here.
            sid = logged_sid() if "form" in request.__dict__ else "-"
            record.call_sid = getattr(record, "call_sid", "" if sid == "-" else sid)
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, call_sid, step, outcome, reason, status, latency: the ones a line has."""

    FIELDS = ("call_sid", "step", "outcome", "reason", "status", "latency")

    def format(self, record):
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name) for name in self.FIELDS if getattr(record, name, None) not in (None, "")})
        if record.exc_info:
            # The type only: an exception's message can quote a caller's number.
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


log = logging.getLogger(__name__)


def _started():
    g.logs_started = time.perf_counter()


def _answered(response):
    began = g.get("logs_started")
    if began is not None:
        latency = round(time.perf_counter() - began, 4)
        log.info("answered %s", response.status_code, extra={"status": response.status_code, "latency": latency})
    return response
