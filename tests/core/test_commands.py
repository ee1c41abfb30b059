"""Reserved words beat search; text is cleaned before anything looks at it."""

from bot.core.commands import MAX_TEXT, SEARCH, ParsedCommand, clean, parse

RESERVED = frozenset({"help", "topics", "subscribe", "lesson"})


def test_reserved_word_wins_and_keeps_its_args():
    assert parse("subscribe tue 09:30", RESERVED) == ParsedCommand("subscribe", "tue 09:30")
    assert parse("TOPICS", RESERVED).name == "topics"


def test_free_text_is_a_search():
    command = parse("how do I deploy a model", RESERVED)
    assert command.name == SEARCH
    assert command.args == "how do I deploy a model"


def test_empty_text_is_help():
    assert parse("", RESERVED).name == "help"
    assert parse("  \t ", RESERVED).name == "help"
    assert parse(None, RESERVED).name == "help"


def test_mentions_and_command_prefix_are_stripped():
    assert parse("<@UBOT> serving", RESERVED) == ParsedCommand(SEARCH, "serving")
    assert parse("<@UBOT|mlops> help", RESERVED).name == "help"
    assert parse("/mlops lesson 7", RESERVED) == ParsedCommand("lesson", "7")


def test_clean_removes_control_and_bidi_characters_and_caps_length():
    assert clean("a\x00b\x1b[31mc\u202e") == "a b [31mc"
    assert len(clean("x" * 10_000)) == MAX_TEXT
