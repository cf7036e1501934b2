"""A URL's host resolved once and checked to be on the internet, so that a request cannot be aimed inside this network."""

import ipaddress
import socket
from urllib.parse import urlsplit


class NotPublic(ValueError):
    """The URL's host is not one this server may post to: the message says why."""


def resolve(url, allow_private=False):
    """(address, host, port) of an https `url` whose host is a public address; NotPublic otherwise.

    Every address the name resolves to must be public (loopback, private, link-local, multicast,
    reserved and the like are refused): the request then goes to the first, the one checked.
    """
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or 443
    except ValueError:
        raise NotPublic("its port is not a number") from None
    if not host:
        raise NotPublic("it names no host")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise NotPublic("its host name does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not addresses:
        raise NotPublic("its host name does not resolve")
    if not allow_private and not all(public(address) for address in addresses):
        raise NotPublic("its host is not a public internet address")
    return str(addresses[0]), host, port


def public(address):
    """True for an address on the public internet."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast and not address.is_reserved
