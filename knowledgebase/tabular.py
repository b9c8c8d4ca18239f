"""CSV that spreadsheets open safely, written a line at a time: the one place the site's CSV
downloads (search results, the evidence map, the audit log) are made.

Excel-safe: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a
formula (CSV injection), so it gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value) -> str:
    """A cell a spreadsheet shows as text; None is empty. Numbers are not text and pass as they are
    (a negative number stays a number)."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header, then each row, as CSV text one line at a time (so a response can stream),
    every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line([neutralised(name) for name in header])
    for row in rows:
        yield line([neutralised(value) for value in row])
