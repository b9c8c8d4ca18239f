"""The licences a deliverable may be published under, OGL v3.0 first (the default).

A deliverable names its licence by identifier (SPDX-style) or a listed alias, in any case; pages
show the licence by name with a link to its text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    id: str
    name: str
    url: str
    aliases: tuple[str, ...] = ()


LICENCES: tuple[Licence, ...] = (
    Licence(
        "OGL-3.0",
        "Open Government Licence v3.0",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        ("OGL", "OGL v3", "OGL v3.0", "Open Government Licence"),
    ),
    Licence(
        "CC-BY-4.0",
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
        ("CC BY", "CC BY 4.0", "Creative Commons Attribution 4.0"),
    ),
    Licence(
        "CC-BY-SA-4.0",
        "Creative Commons Attribution-ShareAlike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        ("CC BY-SA", "CC BY-SA 4.0", "Creative Commons Attribution-ShareAlike 4.0"),
    ),
    Licence(
        "CC-BY-NC-4.0",
        "Creative Commons Attribution-NonCommercial 4.0 International",
        "https://creativecommons.org/licenses/by-nc/4.0/",
        ("CC BY-NC", "CC BY-NC 4.0", "Creative Commons Attribution-NonCommercial 4.0"),
    ),
    Licence(
        "CC0-1.0",
        "Creative Commons Zero v1.0 Universal (public domain)",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        ("CC0", "public domain", "Creative Commons Zero"),
    ),
)
DEFAULT_LICENCE = LICENCES[0].id


def _fold(text: str) -> str:
    return " ".join(text.replace("-", " ").lower().split())


_BY_WRITTEN = {
    _fold(written): licence
    for licence in LICENCES
    for written in (licence.id, licence.name, *licence.aliases)
}


def resolve(written: str) -> Licence | None:
    """The licence written as its identifier, name or an alias, in any case; None if unknown."""
    return _BY_WRITTEN.get(_fold(written))


def licence(identifier: str) -> Licence | None:
    """The licence for a stored identifier (rows store `Licence.id`)."""
    return resolve(identifier)


def accepted() -> str:
    return ", ".join(f"{item.id} ({item.name})" for item in LICENCES)
