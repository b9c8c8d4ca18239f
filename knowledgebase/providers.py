"""The advising organisations: one canonical name per firm, with the other names writers use.

`content/providers.yml` (beside `vocabularies.yml`) lists the providers. A deliverable's
`provider` values fold to the canonical name when they match a name or an alias in any case with
spacing folded, so "BWB" and "Bates Wells Braithwaite" are one firm. A name that matches nothing
is kept as written (spacing folded): many small firms advise once, and refusing them would stop
publishing until someone edited the list. A missing or empty file means no known providers.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import fields

#: The keys a provider's entry may have.
KEYS = ("name", "aliases")
SHAPE = "'- name: ...' with optional 'aliases: [...]'"
#: A name or alias is stored as a deliverable's provider, so it obeys the same limit.
MAX_LENGTH = fields.field("provider").max_length
#: As in deliverables (`content.CONTROL_CHARACTERS`): C0/C1 controls and XML's two non-characters.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NULL = "tag:yaml.org,2002:null"


class ProvidersFileError(Exception):
    """providers.yml is malformed; the message lists every problem, each with file, line and key."""


@dataclass(frozen=True)
class Provider:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Providers:
    """The known providers, with lookup by name or alias in any case."""

    providers: tuple[Provider, ...] = ()
    path: Path | None = None
    _by_name: dict[str, Provider] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for provider in self.providers:
            for written in (provider.name, *provider.aliases):
                self._by_name.setdefault(fold(written), provider)

    def known(self, written: str) -> str | None:
        """The canonical name for a provider's name or alias, written in any case; None if unknown."""
        provider = self._by_name.get(fold(written))
        return provider.name if provider else None

    def canonical(self, written: str) -> str:
        """The canonical name of a known provider; anything else as written, spacing folded."""
        return self.known(written) or " ".join(written.split())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(provider.name for provider in self.providers)

    def aliases(self, name: str) -> tuple[str, ...]:
        """The other names of a provider (given by any of its names); () for an unknown one."""
        provider = self._by_name.get(fold(name))
        return provider.aliases if provider else ()

    @property
    def fingerprint(self) -> str:
        """What canonicalisation depends on, as a short hash ("" when no provider is known).
        Part of every content hash, so an edit to the names or aliases reaches stored rows on the
        next ingest; comments and the order of the list do not count."""
        if not self._by_name:
            return ""
        pairs = sorted(f"{written}\t{provider.name}" for written, provider in self._by_name.items())
        return hashlib.sha256("\n".join(pairs).encode("utf-8")).hexdigest()[:16]


def fold(text: str) -> str:
    """Case- and spacing-insensitive form: 'bates  wells braithwaite' finds Bates Wells Braithwaite."""
    return " ".join(text.replace("\u2019", "'").casefold().split())


def load_providers(path: str | Path) -> Providers:
    """Read and validate providers.yml; a missing file means no known providers."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Providers(path=path)
    except UnicodeDecodeError as error:
        raise ProvidersFileError(f"{path}: is not UTF-8; save the file as UTF-8") from error
    return parse_providers(text, path)


def parse_providers(text: str, path: Path | None = None) -> Providers:
    """Build the providers from the YAML text, reporting every problem at once."""
    where = str(path) if path else "providers.yml"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark else where
        problem = getattr(error, "problem", None) or str(error)
        raise ProvidersFileError(f"{at}: not valid YAML: {problem}") from error
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        return Providers(path=path)
    reader = _Reader(where)
    providers = reader.read(node)
    if reader.errors:
        raise ProvidersFileError("\n".join(reader.errors))
    return Providers(providers, path)


class _Reader:
    """Walks the YAML nodes, so every problem can name its line; collects every problem."""

    def __init__(self, where: str):
        self.where = where
        self.errors: list[str] = []
        self.seen: dict[str, tuple[str, int]] = {}  # folded name -> (provider, line)

    def error(self, node, key: str | None, message: str) -> None:
        key_part = f" {key}:" if key else ""
        self.errors.append(f"{self.where}:{node.start_mark.line + 1}:{key_part} {message}")

    def read(self, node) -> tuple[Provider, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, None, f"expected a list of providers, each {SHAPE}")
            return ()
        return tuple(provider for item in node.value if (provider := self.entry(item)))

    def entry(self, node) -> Provider | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, None, f"each provider must be a mapping: {SHAPE}")
            return None
        values = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in KEYS:
                near = difflib.get_close_matches(key, KEYS, n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                self.error(key_node, key, f"is not a known key; {hint}accepted keys are {', '.join(KEYS)}")
            elif key in values:
                self.error(key_node, key, "is given twice in one provider; give each key once")
            else:
                values[key] = value_node
        if "name" not in values:
            self.error(node, "name", "is required: the provider's canonical name, as pages show it")
            return None
        name = self.text(values["name"], "name")
        aliases_node = values.get("aliases")
        aliases = self.aliases(aliases_node) if aliases_node is not None else []
        if name is None:
            return None
        for written, line_node, key in [(name, values["name"], "name"), *aliases]:
            self.claim(written, name, line_node, key)
        return Provider(name, tuple(written for written, _, _ in aliases))

    def aliases(self, node) -> list[tuple[str, yaml.Node, str]]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return []
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        found = []
        for item in items:
            text = self.text(item, "aliases")
            if text is not None:
                found.append((text, item, "aliases"))
        return found

    def text(self, node, key: str) -> str | None:
        """One name as text, spacing folded, or None after reporting why not."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL or not str(node.value).strip():
            what = "a list or mapping" if not isinstance(node, yaml.ScalarNode) else "empty"
            self.error(node, key, f"must be a name written as text, not {what}")
            return None
        text = " ".join(str(node.value).split())
        if CONTROL_CHARACTERS.search(text):
            self.error(node, key, f"{text!r} contains a control character; write plain text")
            return None
        if len(text) > MAX_LENGTH:
            self.error(node, key, f"is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
            return None
        return text

    def claim(self, written: str, name: str, node, key: str) -> None:
        """Each name or alias may belong to one provider, once."""
        line = node.start_mark.line + 1
        folded = fold(written)
        if folded in self.seen:
            owner, first = self.seen[folded]
            self.error(
                node,
                key,
                f"{written!r} is already given on line {first} (for {owner}); "
                "a name or alias may be given once and belong to one provider only",
            )
        else:
            self.seen[folded] = (name, line)
