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
    ("/mlops subscribe tue 09:30 Europe/Berlin", "weekly lessons in this channel"),
    ("/mlops schedule", "when the next lesson arrives"),
    ("/mlops suggest https://example.org/post serving", "propose a resource for the catalog"),
    ("/mlops help", "this message"),
]

HELP_FOOTER = (
    "In a thread, mention the bot instead (slash commands don't run in threads): `@MLOps serving`."
)

NO_MATCH = "I couldn't find resources for “{query}”."
DID_YOU_MEAN = "Did you mean: {options}?"
BROWSE_TOPICS = "Or pick a topic:"
GENERIC_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
ONLY_IN_CONSOLE = "That needs Slack; it isn't available in the console."
TOOLS_HEADING = "*Tools to explore*"
LEARNING_HEADING = "*Learn*"
COMMUNITY_MARK = "suggested by the team"
SHARE_BUTTON = "Share in channel"
MORE_BUTTON = "More"
SHARED_BY = "Shared by <@{user}> with `/mlops {query}`"
EXPIRED = "That answer has expired; run the command again."
