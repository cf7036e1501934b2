"""Just enough HTTP/1.1 over asyncio streams for the benchmark's two ends.

The load generator and the Verify stand-in speak plain HTTP/1.1 with a Content-Length body
(the generator one request per connection, the stand-in keeping connections alive as Verify does); a full HTTP library would cost the benchmark CPU it needs to leave
to the server under test.
"""

import asyncio
import signal

MAX_HEAD = 64 * 1024


class HttpError(Exception):
    """A message that is not HTTP/1.1 as this module speaks it."""


async def read_message(reader):
    """(start line, headers with lower-case names, body bytes) of one HTTP message."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise HttpError("connection closed before a complete message") from error
    except asyncio.LimitOverrunError as error:
        raise HttpError("message head too long") from error
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        body = await reader.readexactly(length)
    elif "content-length" not in headers and lines[0].startswith("HTTP/"):
        body = await reader.read()  # a response without a length ends with the connection
    else:
        body = b""
    return lines[0], headers, body


def message(start_line, headers, body=b"", keep_alive=False):
    """The bytes of one HTTP message; Content-Length and Connection are added."""
    head = [start_line, *(f"{name}: {value}" for name, value in headers.items())]
    head += [f"Content-Length: {len(body)}", f"Connection: {'keep-alive' if keep_alive else 'close'}", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


async def serve(handle, host, port, ready=None):
    """Serve `handle` (an asyncio stream handler) on host:port until SIGINT or SIGTERM; `ready(port)` once listening."""
    server = await asyncio.start_server(handle, host, port, backlog=2048, limit=256 * 1024)
    if ready:
        ready(server.sockets[0].getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
