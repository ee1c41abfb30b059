"""Block Kit for community suggestions: review message, pending list, reject modal, outcomes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot import texts
from bot.blocks import Block, button, context, escape, fallback, link, section
from bot.core.models import Topic
from bot.core.suggestions import APPROVED, SuggestionRow

ACTION_APPROVE = "suggestion_approve"
ACTION_REJECT = "suggestion_reject"
REJECT_CALLBACK = "suggestion_reject_modal"
REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"
MAX_REASON = 300

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def user(user_id: str | None) -> str:
    """A mention of a Slack user id, or the escaped text if it isn't one."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "someone")


def topic_names(topic_ids: Sequence[str], topics: Mapping[str, Topic]) -> str:
    return ", ".join(topics[t].name if t in topics else t for t in topic_ids)


def topic_list(topic_ids: Sequence[str]) -> str:
    """Topic ids as the user typed them, for the short confirmation."""
    return ", ".join(topic_ids)


def _details(row: SuggestionRow, topics: Mapping[str, Topic]) -> str:
    lines = [f"*{link(row.url, row.title)}*", escape(row.url) if row.title != row.url else ""]
    lines.append(f"Suggested by {user(row.user_id)}")
    if row.topics:
        lines.append("Topics: " + escape(topic_names(row.topics, topics)))
    else:
        lines.append("Topics: _none given (filed under MLOps overview if approved)_")
    if row.note:
        lines.append("Note: " + escape(row.note))
    return "\n".join(line for line in lines if line)


def decision_line(row: SuggestionRow) -> str:
    """Who decided what, e.g. 'Approved by @ana'."""
    if row.status == APPROVED:
        return f":white_check_mark: Approved by {user(row.decided_by)}"
    text = f":x: Rejected by {user(row.decided_by)}"
    if row.reason:
        text += ": " + escape(row.reason)
    return text


def review_text(row: SuggestionRow) -> str:
    """The notification text of a review message."""
    state = {"pending": "New suggestion", "approved": "Approved", "rejected": "Rejected"}
    return fallback(f"{state.get(row.status, 'Suggestion')}: {escape(row.title)}")


def build_review(row: SuggestionRow, topics: Mapping[str, Topic]) -> list[Block]:
    """The review-channel message: details, then buttons while pending or the decision."""
    blocks: list[Block] = [section(_details(row, topics))]
    if not row.fetch_ok:
        blocks.append(context("_The page title couldn't be fetched; the link is shown instead._"))
    if row.status == "pending":
        value = str(row.id)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"review-{row.id}",
                "elements": [
                    button("Approve", ACTION_APPROVE, value, style="primary"),
                    button("Reject", ACTION_REJECT, value, style="danger"),
                ],
            }
        )
    else:
        blocks.append(context(decision_line(row)))
    return blocks


def build_pending_list(
    rows: Sequence[SuggestionRow], total: int, topics: Mapping[str, Topic]
) -> list[Block]:
    """`/mlops suggestions` for moderators: each pending suggestion with its buttons."""
    if not rows:
        return [section(texts.NO_PENDING_SUGGESTIONS)]
    head = f"*{total} suggestion{'s' if total != 1 else ''} waiting for review*"
    if total > len(rows):
        head += f" (the oldest {len(rows)} shown)"
    blocks: list[Block] = [section(head)]
    for row in rows:
        blocks += build_review(row, topics)
    return blocks[:50]


def build_reject_modal(suggestion_id: int, title: str) -> dict[str, Any]:
    """The modal a moderator fills in to reject, with an optional reason."""
    return {
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "private_metadata": str(suggestion_id),
        "title": {"type": "plain_text", "text": "Reject suggestion"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Reject *{escape(title[:200])}*?"),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reason (sent to the suggester)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": MAX_REASON,
                },
            },
        ],
    }


def read_reason(values: Mapping[str, str]) -> str:
    """The reason typed into the reject modal ('' when left empty)."""
    return " ".join(str(values.get(REASON_BLOCK) or "").split())[:MAX_REASON]


def outcome_message(row: SuggestionRow, topics: Mapping[str, Topic]) -> str:
    """The DM telling a suggester what happened to their suggestion."""
    title = link(row.url, row.title)
    if row.status == APPROVED:
        first = row.topics[0] if row.topics else "mlops-overview"
        return (
            f":tada: Your suggestion {title} was approved by {user(row.decided_by)} and is now"
            f" in the catalog. Find it with `/mlops {escape(first)}`."
        )
    text = f"Your suggestion {title} was not added to the catalog."
    if row.reason:
        text += " Reason: " + escape(row.reason)
    return text
