"""Precision and recall of the personal-data check on the labelled snippets.

    .venv/bin/python scripts/personal_data_eval.py [LABELLED.yml] [--show-errors]

Reads `tests/personal_data/labelled.yml` (each snippet lists the kinds it contains), runs
`knowledgebase.personal_data.scan` on every snippet and counts per snippet and kind: a kind found
in a snippet labelled with it is a true positive, found but not labelled a false positive,
labelled but not found a false negative. Prints a table per kind and overall, and exits non-zero
when recall on a number-shaped kind (email, phone, ni_number, date_of_birth) is below 0.9.
`tests/test_personal_data.py` calls `evaluate` on the same set.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledgebase.personal_data import KINDS, scan

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "personal_data" / "labelled.yml"
#: Kinds with a fixed shape, where the rules should miss almost nothing.
NUMBER_SHAPED = ("email", "phone", "ni_number", "date_of_birth")
RECALL_FLOOR = 0.9


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    def add(self, other: Score) -> None:
        self.true_positives += other.true_positives
        self.false_positives += other.false_positives
        self.false_negatives += other.false_negatives


@dataclass
class Evaluation:
    by_kind: dict[str, Score]
    overall: Score
    #: (snippet text, kind, "missed" or "wrongly flagged") for every error.
    errors: list[tuple[str, str, str]]

    def failing_recall(self, floor: float = RECALL_FLOOR) -> list[str]:
        """Number-shaped kinds whose recall is below the floor."""
        return [kind for kind in NUMBER_SHAPED if self.by_kind[kind].recall < floor]


def load(path: str | Path = LABELLED) -> list[dict]:
    """The labelled snippets: dicts with `text` and `kinds`, every kind one of KINDS."""
    snippets = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["snippets"]
    for snippet in snippets:
        unknown = set(snippet["kinds"]) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)} in {snippet['text']!r}")
    return snippets


def evaluate(snippets: list[dict]) -> Evaluation:
    by_kind = {kind: Score() for kind in KINDS}
    errors = []
    for snippet in snippets:
        labelled = set(snippet["kinds"])
        found = {finding.kind for finding in scan(snippet["text"])}
        for kind in KINDS:
            if kind in found and kind in labelled:
                by_kind[kind].true_positives += 1
            elif kind in found:
                by_kind[kind].false_positives += 1
                errors.append((snippet["text"], kind, "wrongly flagged"))
            elif kind in labelled:
                by_kind[kind].false_negatives += 1
                errors.append((snippet["text"], kind, "missed"))
    overall = Score()
    for score in by_kind.values():
        overall.add(score)
    return Evaluation(by_kind, overall, errors)


def table(evaluation: Evaluation, snippets: int) -> str:
    """A Markdown table of the figures."""
    rows = [
        f"Labelled snippets: {snippets}",
        "",
        "| kind | labelled | found | TP | FP | FN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, score in [*evaluation.by_kind.items(), ("overall", evaluation.overall)]:
        rows.append(
            f"| {kind} | {score.true_positives + score.false_negatives} "
            f"| {score.true_positives + score.false_positives} | {score.true_positives} "
            f"| {score.false_positives} | {score.false_negatives} "
            f"| {score.precision:.3f} | {score.recall:.3f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labelled", nargs="?", default=str(LABELLED), help="the labelled YAML file")
    parser.add_argument("--show-errors", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args(argv)
    snippets = load(args.labelled)
    evaluation = evaluate(snippets)
    print(table(evaluation, len(snippets)))
    if args.show_errors:
        print()
        for text, kind, what in evaluation.errors:
            print(f"{what:>15} {kind:<18} {text.strip()!r}")
    failing = evaluation.failing_recall()
    if failing:
        print(f"\nrecall below {RECALL_FLOOR} for: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
