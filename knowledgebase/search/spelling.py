"""The words of the corpus, for "did you mean" suggestions.

A dictionary of every distinct word (lower case, unstemmed) with the number of documents it
appears in, saved as JSON beside the index. Keeping it out of the index matters: indexing each
document's distinct words as a field doubled indexing time (scripts/bench.py, 600 documents:
53 -> 113 docs/s without it). Suggestions come from Whoosh's Levenshtein automaton over the
sorted word list; among equally close words the most common wins.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from whoosh.spelling import ListCorrector

_WORD = re.compile(r"[^\W\d_]{3,30}", re.UNICODE)
MAX_DISTANCE = 2


def distinct_words(*texts: str) -> set[str]:
    """The distinct alphabetic words of some texts, lower-cased."""
    return set(_WORD.findall(" ".join(texts).lower()))


class SpellingDictionary:
    """Known words and their document frequencies."""

    def __init__(self, counts: Counter | None = None):
        self.counts: Counter = counts if counts is not None else Counter()
        self._corrector: ListCorrector | None = None

    def add(self, words: Iterable[str]) -> None:
        """Count one document's distinct words."""
        self.counts.update(words)
        self._corrector = None

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def suggest(self, word: str) -> str | None:
        """The known word closest to `word` (same first letter, at most two edits), or None."""
        if self._corrector is None:
            self._corrector = ListCorrector(sorted(self.counts))
        for distance in range(1, MAX_DISTANCE + 1):
            candidates = [
                candidate
                for candidate in self._corrector.suggest(word, limit=20, maxdist=distance, prefix=1)
                if candidate != word
            ]
            if candidates:
                return max(candidates, key=lambda candidate: (self.counts[candidate], candidate))
        return None

    @classmethod
    def load(cls, path: Path) -> SpellingDictionary:
        try:
            return cls(Counter(json.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError:
            return cls()

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a file."""
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        temporary.write_text(json.dumps(self.counts, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, path)
