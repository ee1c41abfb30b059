"""The in-memory catalog: topics, resources and lessons, looked up by id."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.models import Lesson, Resource, Topic
from bot.core.urls import normalise_url


class Catalog:
    """Immutable view of content/ plus approved community resources added at run time."""

    def __init__(
        self,
        topics: Iterable[Topic],
        resources: Iterable[Resource],
        lessons: Iterable[Lesson] = (),
    ) -> None:
        self.topics: dict[str, Topic] = {t.id: t for t in topics}
        self.resources: dict[str, Resource] = {r.id: r for r in resources}
        self.lessons: list[Lesson] = sorted(lessons, key=lambda x: x.order)
        self._by_url = {normalise_url(r.url): r for r in self.resources.values()}
        self._counts: dict[str, int] | None = None
        # Resources whose links the link checker found dead: left out of answers and posts
        # until a later check passes again.
        self.dead: set[str] = set()

    def topic(self, topic_id: str) -> Topic | None:
        return self.topics.get(topic_id)

    def resource(self, resource_id: str) -> Resource | None:
        return self.resources.get(resource_id)

    def by_url(self, url: str) -> Resource | None:
        """Find a resource by URL, ignoring the spelling differences normalise_url folds."""
        return self._by_url.get(normalise_url(url))

    def resources_for(self, topic_id: str) -> list[Resource]:
        return [r for r in self.resources.values() if topic_id in r.topics]

    def topic_counts(self) -> dict[str, int]:
        """Resources per topic, for `/mlops topics` (counted once, again after `add`)."""
        if self._counts is None:
            counts = dict.fromkeys(self.topics, 0)
            for res in self.resources.values():
                for topic_id in set(res.topics):
                    if topic_id in counts:
                        counts[topic_id] += 1
            self._counts = counts
        return dict(self._counts)

    def is_live(self, resource_id: str) -> bool:
        return resource_id in self.resources and resource_id not in self.dead

    def mark_dead(self, urls: Iterable[str]) -> tuple[list[Resource], list[Resource]]:
        """Make exactly the resources at `urls` dead; return (newly dead, revived)."""
        wanted = {normalise_url(url) for url in urls}
        now_dead = {r.id for key, r in self._by_url.items() if key in wanted}
        died = [self.resources[i] for i in sorted(now_dead - self.dead)]
        revived = [self.resources[i] for i in sorted(self.dead - now_dead) if i in self.resources]
        self.dead = now_dead
        return died, revived

    def add(self, resource: Resource) -> None:
        """Add an approved community resource (ids and URLs are checked by the caller)."""
        self.resources[resource.id] = resource
        self._by_url[normalise_url(resource.url)] = resource
        self._counts = None
