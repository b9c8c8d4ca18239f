"""Line-by-line differences between two revisions' sources, for the review and history pages
(shown as a table with classes, not inline styles: the CSP forbids them)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  #: "same", "added" or "removed"
    old: int | None  #: the line's number in the older text
    new: int | None  #: the line's number in the newer text
    text: str


#: Longer texts are not compared line by line: difflib's matching can take minutes on long,
#: repetitive texts, and a page must answer well within a worker's timeout.
MAX_LINES = 4000


class TooLong(ValueError):
    """The texts are too long to compare on a page."""


def line_diff(old: str, new: str, context: int = 3) -> list[list[DiffLine]]:
    """The changed stretches (hunks) with `context` unchanged lines around each; empty when the
    texts say the same thing. `TooLong` past `MAX_LINES` lines on either side."""
    a, b = old.splitlines(), new.splitlines()
    if max(len(a), len(b)) > MAX_LINES:
        raise TooLong(f"more than {MAX_LINES:,} lines: too long to compare line by line here")
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i + 1, j1 + k + 1, a[i]) for k, i in enumerate(range(i1, i2))]
                continue
            lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
        hunks.append(lines)
    return hunks
