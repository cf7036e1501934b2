"""CPU per Verify send: twilio-python's own HTTP client against the app's (app/twilio_http.py).

Both send through the same twilio-python Client to the Verify stand-in (bench/fake_verify.py,
answering at once), in rounds that alternate the two, in this one process:

    .venv/bin/python -m bench.verify_client --rounds 25 --sends 100
"""

import argparse
import itertools
import statistics
import time

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.twilio.http_client import CONNECTIONS, TwilioHttp
from app.twilio.verify import VerifyService
from bench.run import FakeVerify
from bench.server import free_port


def service(http_client, base_url):
    """VerifyService as the app builds it, its Verify domain pointed at the stand-in."""
    client = Client("AC" + "1" * 32, "bench-auth-token", http_client=http_client)
    client.verify.base_url = base_url
    return VerifyService(client, "VA" + "2" * 32)


def requests_client():
    """twilio-python's client with the pool size the app used to give it."""
    http_client = TwilioHttpClient(timeout=5)
    http_client.session.mount("http://", HTTPAdapter(pool_maxsize=CONNECTIONS))
    return http_client


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--sends", type=int, default=100, help="sends per client per round")
    args = parser.parse_args(argv)
    verify = FakeVerify(0.0, free_port())
    # Each send to a number of its own: the stand-in rate-limits repeated sends, as Verify does.
    numbers = (f"+1{n:010d}" for n in itertools.count(4155550000))
    try:
        clients = {"twilio-python (requests)": service(requests_client(), verify.url),
                   "app (urllib3)": service(TwilioHttp(timeout=5), verify.url)}
        cpu_ms = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, verify_service in clients.items():
                began = time.process_time()
                for _ in range(args.sends):
                    verify_service.send(next(numbers), "sms")
                cpu_ms[name].append(1000 * (time.process_time() - began) / args.sends)
    finally:
        verify.stop()
    for name, figures in cpu_ms.items():
        print(f"{name:26} median {statistics.median(figures):.3f} ms CPU per send "
              f"(min {min(figures):.3f}, max {max(figures):.3f}, {args.rounds} rounds of {args.sends})")


if __name__ == "__main__":
    main()
