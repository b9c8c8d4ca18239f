"""How to cite a deliverable: Harvard-style plain text, BibTeX and RIS, from one description.

The authors are the advising organisations (corporate authors), the year is the year of the
advice, and the address is the deliverable's stable page on the public address (`KB_PUBLIC_URL`).
The date the reader accessed it is the day the citation was made, in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: Who publishes the copy being cited.
PUBLISHER = "Mutuals knowledge base"


@dataclass(frozen=True)
class Citation:
    slug: str
    title: str
    authors: tuple[str, ...]
    published: dt.date
    kind: str  #: the type of advice, as a label ("Business plan")
    prepared_for: str
    url: str
    accessed: dt.date
    withdrawn: dt.date | None = None


def harvard(citation: Citation) -> str:
    """Author(s) (year) Title. Kind prepared for X. Publisher. Available at: URL (Accessed: date)."""
    withdrawn = f" Withdrawn {_long(citation.withdrawn)}." if citation.withdrawn else ""
    return (
        f"{_joined(citation.authors)} ({citation.published.year}) {citation.title.rstrip('.')}. "
        f"{citation.kind} prepared for {citation.prepared_for.rstrip('.')}.{withdrawn} {PUBLISHER}. "
        f"Available at: {citation.url} (Accessed: {_long(citation.accessed)})."
    )


def bibtex(citation: Citation) -> str:
    """A @techreport entry; corporate authors are braced so BibTeX does not split their names."""
    note = f"{citation.kind} prepared for {citation.prepared_for}"
    if citation.withdrawn:
        note += f"; withdrawn {citation.withdrawn.isoformat()}"
    entries = [
        ("author", " and ".join("{" + _tex(author) + "}" for author in citation.authors)),
        ("title", "{" + _tex(citation.title) + "}"),
        ("institution", _tex(_joined(citation.authors))),
        ("type", _tex(citation.kind)),
        ("year", str(citation.published.year)),
        ("month", citation.published.strftime("%b").lower()),
        ("publisher", _tex(PUBLISHER)),
        ("url", _url(citation.url)),
        ("urldate", citation.accessed.isoformat()),
        ("note", _tex(note)),
    ]
    fields = ",\n".join(f"  {name} = {{{value}}}" for name, value in entries)
    return f"@techreport{{{_key(citation)},\n{fields}\n}}\n"


def ris(citation: Citation) -> str:
    """An RIS record (TY RPRT), lines ending CRLF as the format asks."""
    lines = [("TY", "RPRT")]
    lines += [("AU", author) for author in citation.authors]
    lines += [
        ("TI", citation.title),
        ("PY", str(citation.published.year)),
        ("DA", citation.published.strftime("%Y/%m/%d")),
        ("M3", citation.kind),
        ("PB", PUBLISHER),
        ("UR", citation.url),
        ("Y2", citation.accessed.strftime("%Y/%m/%d")),
        ("N1", f"Prepared for {citation.prepared_for}"),
    ]
    if citation.withdrawn:
        lines.append(("N1", f"Withdrawn {citation.withdrawn.isoformat()}"))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}".rstrip() + "\r\n" for tag, value in lines)


def _joined(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


#: Characters that mean something to TeX, and what stands for each.
_TEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX_SPECIAL = re.compile("|".join(re.escape(character) for character in _TEX))


def _tex(text: str) -> str:
    return _TEX_SPECIAL.sub(lambda match: _TEX[match.group(0)], _one_line(text))


def _url(url: str) -> str:
    """A URL inside braces: only a brace or a backslash could break the entry, so they are escaped."""
    return _one_line(url).replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _key(citation: Citation) -> str:
    """A citation key a reference manager accepts: the first author's first word, the year, and
    the slug, in ASCII letters, digits and hyphens."""
    first = (
        re.sub(r"[^A-Za-z0-9]", "", (citation.authors[0].split() or ["kb"])[0]) if citation.authors else ""
    )
    return f"{first or 'kb'}{citation.published.year}-{citation.slug}"
