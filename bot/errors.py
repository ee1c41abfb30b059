"""Errors any layer may raise that the router turns into a plain answer."""

from __future__ import annotations


class Unavailable(Exception):
    """Slack (or another dependency) did not answer in time; `str(exc)` is what the user is
    told, already escaped."""
