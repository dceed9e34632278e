"""Directory import: time grows linearly with a line's length.

    .venv/bin/python benchmarks/bench_import.py [--length N]

A directory text is typed by hand, but a pasted blob can put a whole page on one line. Each
line shape below (one unbroken word, words, digits, dashes, e-mail addresses, "tel" labels, a
heading followed by a long tail) is imported at N and 2N characters; linear work takes about
twice as long for twice the text, quadratic work four times. The run fails when a shape's
ratio is over 3 (the margin covers a shared machine's noise), and prints every ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from lettergen.directory.sources import text as importer
from lettergen.errors import LettergenError

HEADING = "Germany – Embassy (Berlin)"
SHAPES = {
    "one word": "a",
    "words": "ab ",
    "digits": "1",
    "dots": "a.",
    "dashes": "a-",
    "spaced dashes": " - ",
    "e-mails": "a@b.de ",
    "e-mail run": "a@b.",
    "labels": "tel ",
    "numbers": "Tel: (4930) 470-07-111, fax ",
    "parentheses": "(a",
}


def seconds(text: str) -> float:
    """CPU time of the best of three imports (CPU, not wall: other work on the machine)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        # A text with no entry fails: the time to find that out counts all the same.
        with contextlib.suppress(LettergenError):
            importer.import_text(text, "KZ")
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=200_000)
    length = parser.parse_args().length
    failed = []
    print(f"{'line shape':16} {'where':8} {length:>9,} {2 * length:>9,}  ratio")
    for name, unit in SHAPES.items():
        for where in ("body", "heading"):
            times = []
            for size in (length, 2 * length):
                line = (unit * (size // len(unit) + 1))[:size]
                text = f"{HEADING}\n{line}\n" if where == "body" else f"{HEADING} {line}\n"
                times.append(seconds(text))
            ratio = times[1] / max(times[0], 1e-3)
            print(f"{name:16} {where:8} {times[0]:8.2f}s {times[1]:8.2f}s  {ratio:4.1f}")
            if ratio > 3:
                failed.append(f"{name} ({where})")
    if failed:
        print(f"not linear: {', '.join(failed)}")
        return 1
    print("every shape linear (ratio at most 3 for twice the length)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
