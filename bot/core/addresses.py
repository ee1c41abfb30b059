"""Which IP addresses the bot may fetch from: public ones only (no SSRF into the network)."""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a host or socket string (brackets and %zone dropped), else None."""
    text = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_public(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a globally routable unicast address; unparseable text is not public.

    Refuses loopback, private, link-local (incl. 169.254.169.254), CGNAT, multicast, reserved
    and unspecified addresses, and the same hidden inside IPv6 (IPv4-mapped, NAT64, 6to4, Teredo).
    """
    ip = parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
        if ip.teredo is not None:
            return all(is_public(part) for part in ip.teredo)
        if ip.is_site_local:
            return False
    elif ip in _CGNAT:
        return False
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return False
    return ip.is_global


# ------------------------------------------------------------------ host names, before any DNS

CANT_FETCH = "the link points somewhere the bot can't fetch"
CREDENTIALS = "the link embeds credentials"
INVALID_HOST = "the link's host name is not valid"
NON_CANONICAL = "the link spells its address in a non-standard way"
PRIVATE_ADDRESS = "the link points to a private or local network address"
LOCAL_NAME = "the link points to a private or local network name"

DEFAULT_PORTS = {"http": 80, "https": 443}

# Names that only mean something inside a network (RFC 6762, 6761, 8375, ICANN's .internal and
# the suffixes routers and company networks commonly use). Matched as the name or a suffix.
INTERNAL_SUFFIXES = (
    "local",
    "localhost",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home.arpa",
    "corp",
)

AllowList = frozenset[tuple[str, int]]

_LABEL_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_HEX = frozenset("0123456789abcdef")


def normalise_host(host: str) -> str:
    """The ASCII form of a URL host: NFKC (fullwidth → ASCII), IDNA, lower case, no final dot.

    An IPv6 literal (brackets optional) comes back in its compressed form. Raises ValueError for
    a host that is empty, has a zone id, empty labels or characters a host name can't have.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        if "%" in text:
            raise ValueError("an IPv6 zone id")
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            raise ValueError(f"not an IPv6 address: {host!r}") from None
    text = unicodedata.normalize("NFKC", text).translate(_LABEL_DOTS).lower()
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")  # nameprep (NFKC, case fold), punycode
        except UnicodeError:
            raise ValueError(f"not a valid host name: {host!r}") from None
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    if not text or any(not label for label in labels) or not set(text) <= _HOST_CHARS:
        raise ValueError(f"not a valid host name: {host!r}")
    if any(len(label) > 63 for label in labels) or len(text) > 253:
        raise ValueError(f"host name too long: {host!r}")
    return text


def _numeric_label(label: str) -> bool:
    """True if a URL parser (WHATWG, inet_aton) could read this label as part of an IPv4."""
    if label.isdigit():
        return True
    return label.startswith("0x") and set(label[2:]) <= _HEX


def canonical_ipv4(host: str) -> ipaddress.IPv4Address | bool | None:
    """For a normalised host: the IPv4 it names in dotted-quad form, None if it is a name,
    False if it *would* be read as an IPv4 but is spelt otherwise (127.1, 0x7f000001, 0177...)."""
    labels = host.split(".")
    if not _numeric_label(labels[-1]):
        return None  # a name (WHATWG: only a host ending in a number is an IPv4)
    if len(labels) != 4 or not all(
        label.isdigit() and (label == "0" or not label.startswith("0")) and int(label) <= 255
        for label in labels
    ):
        return False
    return ipaddress.IPv4Address(host)


def is_internal_name(host: str) -> bool:
    """A single-label name (intranet, localhost) or one under an internal-only suffix."""
    if "." not in host:
        return True
    return any(host == suffix or host.endswith("." + suffix) for suffix in INTERNAL_SUFFIXES)


def _split_port(scheme: str, netloc: str, parsed_port: int | None) -> int:
    """The port of a netloc, insisting on ASCII digits (int() would take fullwidth ones)."""
    host_part = netloc.rsplit("@", 1)[-1]
    if host_part.startswith("["):
        tail = host_part.partition("]")[2]
    else:
        tail = host_part.partition(":")[1] + host_part.partition(":")[2]
    if tail.startswith(":") and tail[1:]:
        digits = tail[1:]
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("port is not ASCII digits")
    if parsed_port is None:
        return DEFAULT_PORTS[scheme]
    if not 0 < parsed_port < 65536:
        raise ValueError("port out of range")
    return parsed_port


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, normalised host, port) of an http(s) URL; ValueError with a reason if unusable."""
    try:
        parts = urlsplit(url.strip())
        parsed_port = parts.port
    except ValueError:
        raise ValueError(CANT_FETCH) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(CANT_FETCH)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(CREDENTIALS)
    try:
        port = _split_port(scheme, parts.netloc, parsed_port)
    except ValueError:
        raise ValueError(CANT_FETCH) from None
    try:
        host = normalise_host(parts.hostname)
    except ValueError:
        raise ValueError(INVALID_HOST) from None
    return scheme, host, port


def host_refusal(host: str, port: int, allowed: AllowList = frozenset()) -> str | None:
    """Why a normalised host:port may not be fetched (before DNS), or None if it may be."""
    if (host, port) in allowed:
        return None
    if ":" in host:
        ip6 = ipaddress.IPv6Address(host)
        hidden_v4 = ip6.ipv4_mapped is not None or (
            int(ip6) >> 32 == 0 and int(ip6) > 1  # deprecated IPv4-compatible ::a.b.c.d
        )
        if hidden_v4:
            return NON_CANONICAL
        return None if is_public(ip6) else PRIVATE_ADDRESS
    ip4 = canonical_ipv4(host)
    if ip4 is False:
        return NON_CANONICAL
    if isinstance(ip4, ipaddress.IPv4Address):
        return None if is_public(ip4) else PRIVATE_ADDRESS
    if is_internal_name(host):
        return LOCAL_NAME
    return None


def refusal_reason(url: str, allowed: AllowList = frozenset()) -> str | None:
    """Why the bot must not fetch or store `url`, or None if it may try (DNS is checked later).

    Pure and instant: no DNS, no I/O. The host is normalised first (NFKC, so fullwidth digits
    and dots become ASCII; IDNA; lower case; one final dot dropped) and then refused if it is
    a non-public IP literal, an IPv4 spelt any way but dotted-quad decimal (127.1, 2130706433,
    0x7f000001, 0177.0.0.1, 0), an IPv4-mapped or -compatible IPv6, a single-label name
    (intranet, localhost) or a name under an internal suffix (INTERNAL_SUFFIXES), unless its
    (host, port) is in `allowed` (see parse_allow_entries). Non-http(s) schemes, credentials
    in the URL and bad ports are refused too.

    The suggestion feature must call this before it stores a suggested link, so that nothing
    unfetchable is kept; the fetcher calls it again on every hop, before it resolves the name.
    """
    try:
        _scheme, host, port = split_target(url)
    except ValueError as exc:
        return str(exc)
    return host_refusal(host, port, allowed)


def parse_allow_entries(entries: Iterable[str]) -> AllowList:
    """Parse MLOPS_FETCH_ALLOW_HOSTS entries into the (host, port) pairs the fetcher may reach.

    An entry is `host:port` (`localhost:8080`, `[::1]:8080`), an origin (`http://wiki:8080`,
    `https://wiki.corp` = port 443), or a bare host (`wiki.corp`, `[::1]`), which means only the
    default ports 80 and 443. Hosts are normalised like URL hosts. Raises ValueError naming the
    first entry that is none of these (a path, credentials, a bad port or host).
    """
    allowed: set[tuple[str, int]] = set()
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        bare_v6 = parse_ip(entry) if entry.count(":") > 1 and "[" not in entry else None
        text = f"//[{bare_v6}]" if bare_v6 is not None else entry
        if "://" not in text and not text.startswith("//"):
            text = "//" + text
        try:
            parts = urlsplit(text)
            port = parts.port
            if not parts.hostname or parts.username is not None or "@" in parts.netloc:
                raise ValueError
            if parts.path not in ("", "/") or parts.query or parts.fragment:
                raise ValueError
            if parts.scheme:
                if parts.scheme.lower() not in DEFAULT_PORTS:
                    raise ValueError
                ports: tuple[int, ...] = (_split_port(parts.scheme.lower(), parts.netloc, port),)
            else:
                ports = (
                    (_split_port("http", parts.netloc, port),) if port is not None else (80, 443)
                )
            host = normalise_host(parts.hostname)
            if ":" not in host and canonical_ipv4(host) is False:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"MLOPS_FETCH_ALLOW_HOSTS entry {raw!r} is not host:port, an origin "
                "(http://host:port) or a bare host"
            ) from None
        allowed.update((host, p) for p in ports)
    return frozenset(allowed)
