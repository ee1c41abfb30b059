"""Every feature, registered from this one list (order: search last matches everything)."""

from __future__ import annotations

from bot.features import (
    admin,
    home,
    lessons,
    links,
    quiz,
    schedule,
    search,
    stats,
    suggestions,
    workspaces,
)
from bot.router import Feature

# Start-up hooks run in this order: links applies dead links after suggestions loads approvals.
FEATURES: tuple[Feature, ...] = (
    search.FEATURE,
    suggestions.FEATURE,
    lessons.FEATURE,
    links.FEATURE,
    schedule.FEATURE,
    stats.FEATURE,
    home.FEATURE,
    quiz.FEATURE,
    admin.FEATURE,
    workspaces.FEATURE,
)
