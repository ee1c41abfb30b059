"""URL normalisation, so one resource is recognised under its common spellings."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def normalise_url(url: str) -> str:
    """Return a comparison key: case-folded scheme/host, no www., fragment, utm_* or trailing /."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if not k.lower().startswith("utm_")]
    path = parts.path.rstrip("/")
    # http and https name the same resource for dedup purposes.
    return urlunsplit(("https", host + port, path, urlencode(query), ""))
