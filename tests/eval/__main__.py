"""`python -m tests.eval [-v]`: run the labelled queries and print the metrics per category."""

from __future__ import annotations

import sys

from bot.core.content import load_catalog
from bot.core.search import SearchIndex
from tests.eval import evaluate, load_rows, summarise, table


def main(argv: list[str]) -> int:
    index = SearchIndex.build(load_catalog())
    judged = evaluate(index, load_rows())
    if "-v" in argv:
        for j in judged:
            if not j.ok:
                got = [h.resource.id for h in j.results.hits]
                topics = [t.id for t in j.results.topics]
                print(f"MISS [{j.row.category}] {j.row.query!r}: {j.results.intent} {topics} {got}")
    print(table(summarise(judged)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
