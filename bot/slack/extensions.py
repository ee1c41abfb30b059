"""Slack listeners of features beyond search (buttons, modals); each module registers here."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.router import Router
from bot.services import Services
from bot.slack import suggestions

SLACK_FEATURES: list = [suggestions]


def register(app: AsyncApp, router: Router, services: Services) -> None:
    for feature in SLACK_FEATURES:
        feature.register(app, router, services)
