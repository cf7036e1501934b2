"""A Verify send whose TLS handshake arrives a byte at a time, in a process patched by gevent as the Procfile's workers are.

Run by tests/test_twilio_http.py as `python tests/dripping_handshake.py`: a relay stands between
the app's HTTP client and a Verify stand-in speaking TLS, and passes the server's bytes on one by
one, each well inside the read timeout. Prints the log and the reason the send failed with.
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402 - after patching, as in a gevent worker
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.twilio import http_client  # noqa: E402
from app.twilio.verify import VerifyFailed  # noqa: E402
from tests.fakes import self_signed_certificate  # noqa: E402
from tests.test_twilio_http import CALLER, Twilio, verify_through  # noqa: E402


def drip(source, target):
    """Pass on what `source` sends, one byte at a time, until either side hangs up."""
    try:
        while data := source.recv(65536):
            for byte in data:
                target.sendall(bytes([byte]))
                time.sleep(0.02)
    except OSError:
        pass


def relay(listener, server_address):
    """Connect the client to the server, passing its bytes at once and the server's dripped."""
    client, _ = listener.accept()
    server = socket.create_connection(server_address)
    threading.Thread(target=drip, args=(server, client), daemon=True).start()
    try:
        while data := client.recv(65536):
            server.sendall(data)
    except OSError:
        pass


def main():
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
    certificate, key = self_signed_certificate(Path(tempfile.mkdtemp()))
    twilio = Twilio()
    twilio.speak_tls(certificate, key)
    threading.Thread(target=twilio.serve_forever, daemon=True).start()
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=relay, args=(listener, twilio.server_address), daemon=True).start()
    http_client.certifi.where = lambda: str(certificate)
    try:
        verify_through(f"https://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5).send(CALLER, "sms")
    except VerifyFailed as failure:
        print(f"failed: {failure.reason}")


if __name__ == "__main__":
    main()
