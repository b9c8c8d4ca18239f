"""The controlled vocabularies: sectors, legal forms, deliverable types, programmes, stages, regions.

`content/vocabularies.yml` is the only place their values are defined. Everything else asks this
module what a value is called, whether a written value is known, and what would be accepted.
The known providers (`providers.yml`, in the same folder) are loaded with them and travel with
them (`Vocabularies.providers`), so everything that parses, checks or searches has both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from .providers import Providers, load_providers

#: The vocabularies every deliverable is described by, in the order pages show them.
VOCABULARY_NAMES = ("sector", "legal_form", "deliverable_type", "programme", "region", "stage")


class VocabularyFileError(Exception):
    """The vocabulary file itself is malformed: nothing can be validated until it is fixed."""


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary."""

    slug: str
    label: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """One controlled list, such as the legal forms, with lookup by slug, label or alias."""

    name: str
    label: str
    terms: tuple[Term, ...]
    _by_name: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for term in self.terms:
            for written in (term.slug, term.label, *term.aliases):
                self._by_name.setdefault(_fold(written), term.slug)

    def resolve(self, written) -> str | None:
        """The slug for a value written as its slug, label or alias in any case, or None."""
        if not isinstance(written, str):
            return None
        return self._by_name.get(_fold(written))

    def term(self, slug: str) -> Term | None:
        """The term for a slug, or None for a value this vocabulary does not have."""
        for term in self.terms:
            if term.slug == slug:
                return term
        return None

    def label_for(self, slug: str) -> str:
        """The label people read for a slug; the slug itself if it is not known."""
        term = self.term(slug)
        return term.label if term else slug

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(term.slug for term in self.terms)

    def closest(self, written: str) -> str | None:
        """The slug most like a mistyped value, for a 'did you mean' in error messages."""
        match = difflib.get_close_matches(_fold(str(written)), list(self._by_name), n=1, cutoff=0.75)
        return self._by_name[match[0]] if match else None

    def accepted(self) -> str:
        """A short sentence listing the accepted slugs, for error messages."""
        return "one of " + ", ".join(self.slugs) + " (or a label or alias from vocabularies.yml)"

    def search_text(self, slug: str) -> str:
        """Label and aliases of a value, so a search for 'CIC' finds community interest companies."""
        term = self.term(slug)
        return " ".join((term.label, *term.aliases)) if term else slug


@dataclass(frozen=True)
class Vocabularies:
    """All vocabularies, loaded from one YAML file."""

    by_name: dict[str, Vocabulary]
    path: Path | None = None
    #: The known providers, from providers.yml beside the vocabulary file (none if it is missing).
    providers: Providers = field(default_factory=Providers)

    def __getitem__(self, name: str) -> Vocabulary:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name.values())


def _fold(text: str) -> str:
    """Case- and spacing-insensitive form, so 'Community Interest Company' finds the slug."""
    return " ".join(text.replace("\u2019", "'").replace("_", " ").lower().split())


def parse_vocabularies(data, path: Path | None = None) -> Vocabularies:
    """Build vocabularies from the loaded YAML, checking every vocabulary the content format needs."""
    where = str(path) if path else "vocabularies"
    if not isinstance(data, dict):
        raise VocabularyFileError(f"{where}: expected a mapping of vocabulary names")
    missing = [name for name in VOCABULARY_NAMES if name not in data]
    if missing:
        raise VocabularyFileError(f"{where}: missing vocabularies: {', '.join(missing)}")
    by_name = {}
    for name in VOCABULARY_NAMES:
        section = data[name]
        try:
            terms = tuple(
                Term(
                    slug=str(item["slug"]),
                    label=str(item["label"]),
                    description=str(item.get("description", "")),
                    aliases=tuple(str(alias) for alias in item.get("aliases", []) or []),
                )
                for item in section["values"]
            )
        except (KeyError, TypeError) as error:
            raise VocabularyFileError(
                f"{where}: {name}: every value needs a slug and a label ({error!r})"
            ) from error
        by_name[name] = Vocabulary(name=name, label=str(section.get("label", name)), terms=terms)
    return Vocabularies(by_name=by_name, path=path)


#: The providers' file, beside the vocabularies.
PROVIDERS_FILE = "providers.yml"


def load_vocabularies(path: str | Path) -> Vocabularies:
    """Load the vocabulary file and the providers.yml beside it; cached by path and modification
    times, so edits to either are picked up."""
    path = Path(path).resolve()
    providers = path.with_name(PROVIDERS_FILE)
    return _load_cached(path, path.stat().st_mtime_ns, _mtime(providers))


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int, providers_mtime_ns: int | None) -> Vocabularies:
    with path.open(encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise VocabularyFileError(f"{path}: not valid YAML: {error}") from error
    vocabularies = parse_vocabularies(data, path)
    return replace(vocabularies, providers=load_providers(path.with_name(PROVIDERS_FILE)))
