"""User-facing text in one place, so wording stays consistent across Slack and the console."""

COMMAND = "/mlops"

HELP_INTRO = (
    "*MLOps resources, right here.* Ask for a topic, a tool or a question and get the best"
    " learning material first, then tools to explore."
)

HELP_EXAMPLES: list[tuple[str, str]] = [
    ("/mlops serving", "best resources on a topic"),
    ("/mlops how do I deploy a model", "free-text questions work too"),
    ("/mlops feast", "look up a tool"),
    ("/mlops topics", "every topic, with its resource count"),
    ("/mlops lesson", "this channel's current weekly lesson (`/mlops lesson 7` for any)"),
    ("/mlops quiz", "this week's quiz, only to you"),
    ("/mlops subscribe tue 09:30 Europe/Berlin", "weekly lessons in this channel"),
    ("/mlops schedule", "when the next lesson arrives (and a Schedule… form to change it)"),
    ("/mlops stats", "how the lessons are going here, and what people searched for in vain"),
    ("/mlops suggest https://example.org/post serving", "propose a resource for the catalog"),
    ("/mlops admin", "this workspace's moderators and review channel (admins only)"),
    ("/mlops help", "this message"),
]

HELP_FOOTER = (
    "In a thread, mention the bot instead (slash commands don't run in threads): `@MLOps serving`."
)

NO_MATCH = "I couldn't find resources for “{query}”."
DID_YOU_MEAN = "Did you mean: {options}?"
BROWSE_TOPICS = "Or pick a topic:"
GENERIC_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
MENTION_FAILED = (
    "I couldn't post my answer here. If this is a private channel, `/invite @MLOps` first;"
    " or try `/mlops` instead."
)
DATABASE_DOWN = "I can't reach my database right now — try again in a minute."
SLACK_SLOW = "Slack isn't answering me right now — try again in a minute."
# /mlops subscribe where the bot cannot post (checked with conversations.info first).
CANNOT_POST = {
    "private": (
        "I can't post in this private channel: I'm not a member. Add me with `/invite @MLOps`,"
        " then run `/mlops subscribe` again."
    ),
    "group_dm": (
        "I can't post in a group DM. Subscribe a channel instead (`/invite @MLOps` there if"
        " it's private), or run `/mlops subscribe` in your DM with me for a personal digest."
    ),
    "archived": "This channel is archived, so I can't post here. Unarchive it first.",
    "read_only": (
        "Only some members may post in this channel, and I'm not one of them. Ask an admin to"
        " let me post (or `/invite @MLOps`), then run `/mlops subscribe` again."
    ),
}
CANNOT_CHECK_POSTING = (
    "⚠️ I couldn't check that I may post here (Slack said `{code}`). If this is a private"
    " channel, `/invite @MLOps`, or the first lesson will fail."
)
CONSOLE_NO_FETCH = (
    "the console works offline and doesn't fetch pages; set MLOPS_CONSOLE_FETCH=1 to fetch titles"
)
ONLY_IN_CONSOLE = "That needs Slack; it isn't available in the console."
TOOLS_HEADING = "*Tools to explore*"
LEARNING_HEADING = "*Learn*"
COMMUNITY_MARK = "suggested by the team"
SHARE_BUTTON = "Share in channel"
MORE_BUTTON = "More"
SHARED_BY = "Shared by <@{user}> with `/mlops {query}`"
EXPIRED = "That answer has expired; run the command again."

# Community suggestions.
SUGGEST_CHECKING = "Checking the link…"
SUGGEST_THANKS = "Thanks, sent for review: {title}"
SUGGEST_NO_TITLE = "I couldn't fetch the page title ({reason}), so it's recorded as {url}."
SUGGEST_IN_CATALOG = "That's already in the catalog: {title}. Find it with `/mlops {topic}`."
SUGGEST_PENDING = "That link was already suggested and is waiting for review."
SUGGEST_REJECTED = "That link was suggested before and a moderator decided not to add it."
SUGGEST_RACE = "That link was suggested a moment ago and is waiting for review."
SUGGEST_LIMIT = (
    "You've made {limit} suggestions in the last 24 hours, the most allowed. Please try again"
    " tomorrow."
)
SUGGEST_OFF = "Suggestions are turned off in this workspace."
ONLY_MODERATORS = "Only moderators can review suggestions."
NO_MODERATORS = "No moderators are set up yet: an operator lists them in `MLOPS_ADMINS`."
NO_PENDING_SUGGESTIONS = "No suggestions are waiting for review."
SUGGESTION_GONE = "That suggestion no longer exists."
ALREADY_DECIDED = "Already decided. {decision}"

# Who may change a channel's lessons.
CHANGE_REFUSED = (
    "Only {who} can change this channel's weekly lessons (schedule, pause, resume, skip,"
    " unsubscribe). Ask one of them in the channel or a DM. Everyone can still see them:"
    " `/mlops schedule`, `/mlops lesson`."
)
ONLY_MODERATORS_STATS = (
    "Only moderators see any channel's stats; `/mlops stats` in a channel shows its own."
)
ALREADY_SUBSCRIBED = "This channel already gets a weekly MLOps lesson on {schedule}."
# The weekly quiz and recap.
QUIZ_INTRO = "*Quiz* 🧠 Check what you learned: pick an answer (only you see how you did)."
QUIZ_FALLBACK = "Quiz: {title}"
QUIZ_NO_ANSWERS = "No answers yet"
QUIZ_ANSWERED = "{count} answered"
QUIZ_YOURS = "you've answered {done} of {total}"
QUIZ_RIGHT = "✅ *Right.*"
QUIZ_WRONG = "❌ *Not quite.*"
QUIZ_CHANGED = "Answer changed."
QUIZ_PRIVATE_NOTE = "Only you see this. You can change your answer until the next lesson is posted."
QUIZ_PRACTICE_NOTE = "Practice quiz: only you see this."
QUIZ_CLOSED = "This quiz has closed: `/mlops quiz` shows the current one."
QUIZ_UNKNOWN = "I don't know that quiz any more: `/mlops quiz` shows the current one."
QUIZ_NOT_SUBSCRIBED = (
    "This channel isn't subscribed to weekly lessons, so there's no quiz here. `/mlops lesson`"
    " shows lesson 1, and `/mlops subscribe` starts the weekly lessons (each with a quiz)."
)
QUIZ_NOTHING_YET = (
    "No lesson has been posted here yet, so there's no quiz to take. `/mlops lesson` shows"
    " the one coming up, and `/mlops schedule` says when it arrives."
)
QUIZ_CURRENT = "*This week's quiz* 🧠 Lesson {number}: {title}"
QUIZ_PRACTICE = (
    "*Practice quiz* 🧠 Lesson 1: {title}. No lesson has been posted in the console; in Slack,"
    " `/mlops quiz` shows the channel's current quiz."
)
# Per-workspace moderators and review channel (`/mlops admin`).
ADMIN_USAGE = (
    "`/mlops admin add @person` makes someone a moderator, `/mlops admin remove @person` stops"
    " that, `/mlops admin review-channel #channel` picks where suggestions are reviewed."
)
ADMIN_ONLY = "Only workspace admins, owners and moderators can change these settings."
ADMIN_NOT_A_USER = "Mention the person: `/mlops admin add @person`."
ADMIN_NOT_A_CHANNEL = "Mention the channel: `/mlops admin review-channel #channel`."
ADMIN_ADDED = "<@{user}> is now a moderator. Moderators: {moderators}."
ADMIN_REMOVED = "<@{user}> is no longer a moderator. Moderators: {moderators}."
ADMIN_LAST = "<@{user}> is the only moderator; add another one first."
ADMIN_REVIEW_CHANNEL = "Suggestions will be reviewed in <#{channel}>."
ADMIN_SETTINGS = "Moderators: {moderators}. Review channel: {channel}.\n"
ADMIN_NONE = "none"

# Installs (multi-workspace mode).
UNINSTALLED_REASON = "the app was uninstalled"

# Why a subscription was suspended (its status_reason starts with Slack's code), and the fix.
SUSPENDED_FIX = {
    "cannot_confirm_post": (
        "a post's outcome was unknown twice and I can't read this channel to check, so I"
        " stopped rather than risk repeating the lesson. Give the app the `channels:history`"
        " (`groups:history` for private channels) scope or `/invite @MLOps`"
    ),
    "invalid_auth": "the app's token no longer works. Reinstall the app",
    "not_authed": "the app's token no longer works. Reinstall the app",
    "account_inactive": "the app's token no longer works. Reinstall the app",
    "token_revoked": "the app was uninstalled or its token revoked. Reinstall the app",
    "token_expired": "the app's token expired. Reinstall the app",
    "missing_scope": "the app lacks a permission it needs to post. Reinstall it from the manifest",
}
SUSPENDED_DEFAULT = "archived channel, or the bot isn't a member. Fix that"


def suspended(reason: str) -> str:
    """What `/mlops schedule` says about a suspended subscription (`reason` already escaped)."""
    code = reason.split(" ", 1)[0]
    fix = SUSPENDED_FIX.get(code, SUSPENDED_DEFAULT)
    return (
        f"⚠️ Suspended: Slack said `{reason}` when posting here ({fix})."
        " Then run `/mlops subscribe` again to resume."
    )
