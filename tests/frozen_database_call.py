"""A call whose database link freezes mid-call, in a process patched by gevent as the Procfile's workers are.

Run by tests/test_database_down.py as `python tests/frozen_database_call.py DATABASE_URL`: a
relay stands between the app and PostgreSQL; after the call's first steps it swallows every
byte without answering, as a hung server or proxy would. Prints what the caller heard last.
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402 - after patching, as in a gevent worker
import socket  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.simulator import place_call  # noqa: E402
from config import TestConfig  # noqa: E402
from tests.fakes import ScriptedVerify  # noqa: E402

flowing = threading.Event()
flowing.set()


def relay(source, target):
    """Copy bytes one way; while the link is frozen, hold them until it flows again."""
    try:
        while data := source.recv(65536):
            flowing.wait()
            target.sendall(data)
    except OSError:
        pass


def serve(listener, upstream):
    while True:
        client, _ = listener.accept()
        server = socket.create_connection(upstream)
        threading.Thread(target=relay, args=(client, server), daemon=True).start()
        threading.Thread(target=relay, args=(server, client), daemon=True).start()


def main(url):
    parts = urlsplit(url)
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=serve, args=(listener, (parts.hostname, parts.port or 5432)), daemon=True).start()
    relayed = url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{listener.getsockname()[1]}")
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    verify = ScriptedVerify()
    # The most DATABASE_TIMEOUT allows: a loaded machine is slow, and only the frozen link may be given up on.
    app = create_app(TestConfig, http_client=verify, DATABASE_URL=relayed, DATABASE_TIMEOUT=5)
    caller = place_call(app, from_="+14155552671", sms_source=verify)
    flowing.clear()
    caller.press(caller.last_code)
    print("heard:", " ".join(caller.said_since_last_input()))
    flowing.set()  # the link comes back: the next call is recorded again
    caller = place_call(app, from_="+14155552672", sms_source=verify)
    caller.press(caller.last_code)
    print("then heard:", " ".join(caller.said_since_last_input()))


if __name__ == "__main__":
    main(sys.argv[1])
