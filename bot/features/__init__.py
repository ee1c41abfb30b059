"""Every feature, registered from this one list (order: search last matches everything)."""

from __future__ import annotations

from bot.features import home, lessons, schedule, search, stats, suggestions
from bot.router import Feature

FEATURES: tuple[Feature, ...] = (
    search.FEATURE,
    suggestions.FEATURE,
    lessons.FEATURE,
    schedule.FEATURE,
    stats.FEATURE,
    home.FEATURE,
)
