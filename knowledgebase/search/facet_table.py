"""Exact facet counts, filters and orderings over an index's documents, as NumPy arrays.

Built once per index generation from a per-document "card" of metadata, keyed by the engine's
document numbers. Counting a facet is then one `bincount` over (document, value) pairs, so
counts stay exact for any combination of filters and cost microseconds, not a query per facet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ValueColumn:
    """One facet's values: which documents have which value (a document may have several)."""

    values: list[str]
    docs: np.ndarray  # int32, one entry per (document, value) pair
    codes: np.ndarray  # int32, the value's position in `values`, same length as docs

    def mask_for(self, selected, size: int) -> np.ndarray:
        """Documents having any of the selected values (OR within a facet), in any case: a
        provider written 'numbers for good' selects 'Numbers for Good'."""
        folded = {value.casefold() for value in selected}
        wanted = [code for code, value in enumerate(self.values) if value.casefold() in folded]
        mask = np.zeros(size, dtype=bool)
        if wanted:
            mask[self.docs[np.isin(self.codes, wanted)]] = True
        return mask

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        """How many documents in the mask have each value; values with none are left out."""
        totals = np.bincount(self.codes[mask[self.docs]], minlength=len(self.values))
        return {self.values[code]: int(total) for code, total in enumerate(totals) if total}

    def indicator(self, size: int) -> np.ndarray:
        """A documents × values matrix of 0 and 1: which document has which value."""
        matrix = np.zeros((size, len(self.values)), dtype=np.int32)
        matrix[self.docs, self.codes] = 1
        return matrix


class FacetTable:
    """Every document's facet values, publication date and title order, by document number."""

    def __init__(
        self,
        size: int,
        live: np.ndarray,
        columns: dict[str, ValueColumn],
        years: np.ndarray,
        published: np.ndarray,
        title_rank: np.ndarray,
        slugs: list,
        added: np.ndarray | None = None,
    ):
        self.size = size
        #: Each document's slug, so a page of hits needs no stored-field reads.
        self.slugs = slugs
        self.live = live
        self.columns = columns
        self.years = years
        self._indicators: dict[str, tuple[list[str], np.ndarray]] = {}
        self._orders = {
            # lexsort sorts by the last key first; title breaks ties so the order is stable.
            "newest": np.lexsort((title_rank, -published)),
            "oldest": np.lexsort((title_rank, published)),
            "title": np.argsort(title_rank, kind="stable"),
            # When each deliverable first appeared on the site, newest first (the feeds' order).
            "added": np.lexsort((title_rank, -(published if added is None else added))),
        }

    @classmethod
    def build(cls, size: int, cards, deleted=()) -> FacetTable:
        """From (document number, card) pairs; a card maps facet names to a value or a list."""
        live = np.zeros(size, dtype=bool)
        pairs: dict[str, tuple[list, list, dict]] = {}
        years = np.zeros(size, dtype=np.int32)
        published = np.zeros(size, dtype=np.int64)
        added = np.zeros(size, dtype=np.int64)
        titles: list[tuple[str, int]] = []
        slugs: list = [None] * size
        for docnum, card in cards:
            live[docnum] = True
            slugs[docnum] = card["slug"]
            published[docnum] = card["published"]
            added[docnum] = card.get("added", 0)
            years[docnum] = card["year"]
            titles.append((card["title"], docnum))
            for name, value in card["facets"].items():
                docs, codes, index = pairs.setdefault(name, ([], [], {}))
                for item in value if isinstance(value, list) else [value]:
                    if item is None:
                        continue
                    docs.append(docnum)
                    codes.append(index.setdefault(item, len(index)))
        for docnum in deleted:
            live[docnum] = False
        title_rank = np.zeros(size, dtype=np.int64)
        for rank, (_, docnum) in enumerate(sorted(titles)):
            title_rank[docnum] = rank
        columns = {
            name: ValueColumn(
                values=list(index),
                docs=np.asarray(docs, dtype=np.int32),
                codes=np.asarray(codes, dtype=np.int32),
            )
            for name, (docs, codes, index) in pairs.items()
        }
        return cls(size, live, columns, years, published, title_rank, slugs, added)

    def filter_masks(self, filters, year_from, year_to) -> dict[str, np.ndarray]:
        """One mask per active filter (year range under 'year'), each already AND-ed with live."""
        masks = {}
        for name, selected in filters.items():
            if not selected:
                continue
            column = self.columns.get(name)
            masks[name] = column.mask_for(selected, self.size) if column else np.zeros(self.size, bool)
        if year_from is not None or year_to is not None:
            low = year_from if year_from is not None else -(2**31)
            high = year_to if year_to is not None else 2**31 - 1
            masks["year"] = (self.years >= low) & (self.years <= high)
        return masks

    def combine(self, base: np.ndarray, masks: dict[str, np.ndarray], leave_out: str | None = None):
        """The base set AND every filter mask except one facet's own."""
        result = base & self.live
        for name, mask in masks.items():
            if name != leave_out:
                result = result & mask
        return result

    def facet_counts(self, base: np.ndarray, masks: dict[str, np.ndarray], names) -> dict[str, dict]:
        """Counts per facet, each under the other facets' filters but not its own."""
        everything = self.combine(base, masks)
        counts = {}
        for name in names:
            scope = self.combine(base, masks, leave_out=name) if name in masks else everything
            if name == "year":
                present = self.years[scope]
                values, totals = np.unique(present, return_counts=True)
                counts[name] = {str(value): int(total) for value, total in zip(values, totals, strict=False)}
            elif name in self.columns:
                counts[name] = self.columns[name].counts(scope)
            else:
                counts[name] = {}
        return counts

    def ordered(self, mask: np.ndarray, sort: str) -> np.ndarray:
        """Document numbers in the mask, in the given order ('newest', 'oldest' or 'title')."""
        order = self._orders[sort]
        return order[mask[order]]

    def cross_counts(self, mask: np.ndarray, rows: str, columns: str):
        """How many documents in the mask have each (row value, column value) pair, for two
        dimensions (facet columns or 'year'), and each row value and column value alone; pairs
        and values with none are left out. A document with two sectors counts once in each
        sector's row. One matrix product, not a loop of searches."""
        row_values, row_matrix = self._indicator(rows)
        column_values, column_matrix = self._indicator(columns)
        inside_rows, inside_columns = row_matrix[mask], column_matrix[mask]
        cells = inside_rows.T @ inside_columns
        found = np.nonzero(cells)
        crossed = {
            (row_values[i], column_values[j]): int(cells[i, j])
            for i, j in zip(found[0].tolist(), found[1].tolist(), strict=True)
        }
        return crossed, _totals(row_values, inside_rows), _totals(column_values, inside_columns)

    def _indicator(self, name: str) -> tuple[list[str], np.ndarray]:
        """Each dimension's documents × values matrix, built once per table (a few MB at 50,000)."""
        if name not in self._indicators:
            if name == "year":
                present = np.unique(self.years[self.live])
                values = [str(year) for year in present.tolist()]
                matrix = (self.years[:, None] == present[None, :]).astype(np.int32)
            elif name in self.columns:
                values = self.columns[name].values
                matrix = self.columns[name].indicator(self.size)
            else:
                values, matrix = [], np.zeros((self.size, 0), dtype=np.int32)
            self._indicators[name] = (values, matrix)
        return self._indicators[name]


def _totals(values: list[str], matrix: np.ndarray) -> dict[str, int]:
    """Documents having each value, from a documents × values indicator matrix."""
    sums = matrix.sum(axis=0).tolist()
    return {value: int(total) for value, total in zip(values, sums, strict=True) if total}
