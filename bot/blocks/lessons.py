"""Block Kit for weekly lessons: the digest post, its discussion question, and previews.

Lesson text is curated content (Slack mrkdwn); it is still escaped so a stray `<` or `&`
can never become a link or a mention. Resource links come only from the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    Block,
    context,
    divider,
    escape,
    fallback,
    header,
    link,
    section,
)
from bot.core.catalog import Catalog
from bot.core.curriculum import Pick
from bot.core.models import Lesson, Resource

MAX_COMMUNITY = 5


def thread_url(channel_id: str, ts: str) -> str:
    """A link to a message that Slack resolves for any member of the workspace."""
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


def _chunks(lines: Sequence[str], limit: int = MAX_SECTION, sep: str = "\n") -> list[str]:
    """Join lines into texts no longer than `limit`, splitting only between lines."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        candidate = f"{current}{sep}{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def body_sections(body: str) -> list[Block]:
    paragraphs = [escape(p.strip()) for p in body.strip().split("\n\n") if p.strip()]
    return [section(text) for text in _chunks(paragraphs, sep="\n\n")]


def resource_lines(lesson: Lesson, catalog: Catalog) -> list[str]:
    lines = []
    for item in lesson.resources:
        resource = catalog.resource(item.id)
        if resource is None:  # `mlops-bot validate` prevents this; never link a guessed URL
            continue
        if not catalog.is_live(item.id):  # a dead link: the lesson shows the others
            continue
        lines.append(f"• {link(resource.url, resource.title)} — {escape(item.note)}")
    return lines


def title(pick: Pick) -> str:
    return f"MLOps lesson {pick.number} of {pick.total}: {pick.lesson.title}"


def lesson_text(pick: Pick) -> str:
    """Notification text for the post."""
    return fallback(f"{title(pick)} — discuss in the thread.")


def build_lesson(
    pick: Pick,
    catalog: Catalog,
    *,
    opening: Sequence[Block] = (),
    community: Sequence[Resource] = (),
    footer: str | None = "Discuss this week's question in the thread 🧵",
) -> list[Block]:
    """The weekly post: `opening` (last week's recap), header, lesson, resources, exercise."""
    lesson = pick.lesson
    blocks: list[Block] = [*opening, header(title(pick))]
    if pick.new_season:
        blocks.append(
            context(
                f"🎓 *Season {pick.season} starts today.* That was the whole curriculum — we're"
                " back at lesson 1. Same lessons, new discussion: see what changed for your team."
            )
        )
    body = body_sections(lesson.body)
    resources = resource_lines(lesson, catalog)
    community_lines = [
        f"• {link(r.url, r.title)} — {escape(r.summary)}" for r in community[:MAX_COMMUNITY]
    ]
    tail: list[Block] = [divider()]
    for n, chunk in enumerate(_chunks(resources)):
        tail.append(section(("*This week's resources*\n" if n == 0 else "") + chunk))
    tail.append(section(f"*Try this* ✍️\n{escape(lesson.exercise)}"))
    if community_lines:
        tail.append(section("*New from the community*\n" + "\n".join(community_lines)))
    if footer:
        tail.append(context(footer))
    room = MAX_BLOCKS - len(blocks) - len(tail)
    if len(body) > room:
        body = body[: max(room, 0)]
    return blocks + body + tail


def question_text(lesson: Lesson) -> str:
    return fallback(f"This week's question: {lesson.question}")


def build_question(lesson: Lesson) -> list[Block]:
    """The first reply in the post's thread, where the channel discusses."""
    return [
        section(f"*This week's question* 💬\n{escape(lesson.question)}"),
        context("Reply in this thread — short answers and war stories both welcome."),
    ]
