"""Where the outbox may send: anywhere but the sandbox's own control plane.

A notification URL comes from a client (a callback in a request, a merchant setting), so it
could point at `/_sandbox/reset` on the sandbox itself and let a provider call drive the control
plane. Such a delivery is refused without being sent. The path is read the way the server will
route it (percent-decoded, dot segments and repeated slashes folded); the host is the sandbox's
when it is one of its names, a loopback or wildcard address, or an address of this machine.
"""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

CONTROL_PREFIX = "/_sandbox"
_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidTarget(ValueError):
    """The URL cannot be sent to at all."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # lower case, without IPv6 brackets
    port: int
    path: str  # as the receiving server routes it

    @property
    def target(self) -> str:
        """What deliveries are grouped by: one slow endpoint holds up only its own group."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse(url: str) -> Endpoint:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidTarget(str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidTarget("not an http(s) URL with a host")
    return Endpoint(scheme, parts.hostname.lower().rstrip("."),
                    port if port is not None else _DEFAULT_PORTS[scheme],
                    _routed_path(parts.path))


def target_of(url: str) -> str:
    try:
        return parse(url).target
    except InvalidTarget:
        return ""


def _routed_path(path: str) -> str:
    for _ in range(4):  # decoded until stable: a proxy on the way may decode once more
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    folded = posixpath.normpath("/" + path.replace("\\", "/"))
    return "/" + folded.lstrip("/")


def _is_control_path(path: str) -> bool:
    lowered = path.lower()
    return lowered == CONTROL_PREFIX or lowered.startswith(CONTROL_PREFIX + "/")


def _is_this_machine(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _is_this_machine(str(ip.ipv4_mapped))
    # An address can be bound only on the machine that has it.
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class OwnEndpoints:
    """The names and ports the sandbox answers on: its bind address and its public URL."""

    names: frozenset[str]
    ports: frozenset[int]

    @classmethod
    def of(cls, host: str, port: int, public_url: str) -> OwnEndpoints:
        names = {host.lower().strip("[]")} | _LOCAL_NAMES
        ports = {port}
        try:
            public = parse(public_url)
            names.add(public.host)
            ports.add(public.port)
        except InvalidTarget:
            pass
        return cls(frozenset(names), frozenset(ports))

    def refuses(self, url: str) -> bool:
        """True when `url` is the sandbox's own control plane (resolves names: may block)."""
        endpoint = parse(url)
        if not _is_control_path(endpoint.path) or endpoint.port not in self.ports:
            return False
        if endpoint.host in self.names or _is_this_machine(endpoint.host):
            return True
        try:
            found = socket.getaddrinfo(endpoint.host, endpoint.port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return False  # unresolvable: the send fails on its own
        return any(_is_this_machine(str(info[4][0])) for info in found)
