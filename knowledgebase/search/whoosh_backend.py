"""The Whoosh search engine behind the search seam.

Layout on disk: `KB_INDEX_DIR/CURRENT` names the active generation, a sub-folder holding one
Whoosh index. Ingest updates the active generation in place; a full rebuild writes a new
generation and swaps `CURRENT` atomically, so readers never see a half-built index.

Per process, one searcher is kept and reopened when the index changes, together
with a `FacetTable` of every document's metadata for exact facet counts and browsing orders, and
small caches of match sets and whole results keyed on the index generation.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from whoosh import columns, fields, index, qparser, scoring
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer

from . import (
    FACETS,
    MAX_QUERY_LENGTH,
    CrossCounts,
    FacetCount,
    Hit,
    IndexDocument,
    SearchRequest,
    SearchResult,
    check_dimension,
)
from .facet_table import FacetTable
from .spelling import SpellingDictionary, distinct_words

#: How much a match in each field counts, relative to the body.
#: Summary, organisation, tags and vocabulary labels share one field: every extra field is another
#: posting list per query word, and Whoosh merges them in Python (on 2,000 synthetic documents,
#: six fields to three took a broad two-word query from 99 to 63 ms, in process, uncached).
FIELD_BOOSTS = {"title": 4.0, "meta": 2.0, "body": 1.0}
SNIPPET_WIDTH = 220
#: Extra weight for documents holding a multi-word query as an exact phrase.
PHRASE_BOOST = 2.0
#: How many of the best matches are checked for the phrase bonus.
RERANK_DEPTH = 200
WRITER_TIMEOUT = 60.0
#: Segments are written as separate files, not one compound file: Whoosh reads a compound
#: file's parts into memory (BytesIO copies), which cost a worker 150 MB at 10,000 documents;
#: separate files are read through the operating system's page cache instead.
WRITER_OPTIONS = {"compound": False}

_ANALYZER = StemmingAnalyzer(cachesize=50000)
_WORD = re.compile(r"\w+(?:[.'’]\w+)*", re.UNICODE)


#: Raise whenever build_schema() changes: indexes built with another version are rebuilt.
SCHEMA_VERSION = 6
GENERATION_PREFIX = f"gen-v{SCHEMA_VERSION}-"
SPELLING_FILE = "spelling.json"


def build_schema() -> fields.Schema:
    return fields.Schema(
        slug=fields.ID(stored=True, unique=True),
        content_hash=fields.STORED(),
        title=fields.TEXT(analyzer=_ANALYZER),
        meta=fields.TEXT(analyzer=_ANALYZER),
        # Character offsets let snippets be cut from the stored text without re-analysing it.
        body=fields.TEXT(analyzer=_ANALYZER, stored=True, chars=True),
        card=fields.COLUMN(columns.VarBytesColumn()),
    )


class IndexStore:
    """The generations of the index on disk and which one is current."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_name(self) -> str | None:
        """The current generation, or None if there is none or it was built with another schema
        (then the index counts as empty, and the next ingest or reindex rebuilds it)."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not name.startswith(GENERATION_PREFIX) or not (self.root / name).is_dir():
            return None
        return name

    def open_current(self):
        name = self.current_name()
        if name is None:
            return None, None
        return name, index.open_dir(str(self.root / name))

    def create_generation(self):
        """A new, empty index folder that is not yet current."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = GENERATION_PREFIX + time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        path = self.root / name
        path.mkdir()
        return name, index.create_in(str(path), build_schema())

    def spelling_path(self, name: str) -> Path:
        return self.root / name / SPELLING_FILE

    def activate(self, name: str) -> None:
        """Make a generation current atomically and remove all but it and its predecessor."""
        previous = self.current_name()
        temporary = self.root / f".CURRENT.{uuid.uuid4().hex}"
        temporary.write_text(name + "\n", encoding="utf-8")
        os.replace(temporary, self.pointer)
        keep = {name, previous}
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def open_or_create(self):
        name, ix = self.open_current()
        if ix is None:
            name, ix = self.create_generation()
            self.activate(name)
        return name, ix


class _State:
    """What one process holds open for searching one generation of the index."""

    def __init__(self, name, ix, spelling_path: Path):
        self.name = name
        self.ix = ix
        self.spelling_path = spelling_path
        self._spelling: SpellingDictionary | None = None
        self.searcher = self._open()
        self.table = _facet_table(self.searcher.reader())
        self.matches: OrderedDict = OrderedDict()
        self.results: OrderedDict = OrderedDict()

    def refresh(self):
        """Pick up commits to this generation, keeping the searcher object when nothing changed."""
        if self.searcher.up_to_date():
            return
        # Reopened, not `searcher.refresh()`: whoosh3's refresh adds the old reader's segments
        # back beside the new ones, so an updated document would be counted twice (and it cannot
        # refresh a reader of an empty index at all). Reopening costs little and happens only
        # after a change.
        self.searcher.close()
        self.searcher = self._open()
        self.table = _facet_table(self.searcher.reader())
        self.matches.clear()
        self.results.clear()
        self._spelling = None

    @property
    def spelling(self) -> SpellingDictionary:
        """The corpus's words, read on the first misspelling after each change."""
        if self._spelling is None:
            self._spelling = SpellingDictionary.load(self.spelling_path)
        return self._spelling

    def _open(self):
        return self.ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))

    def close(self):
        self.searcher.close()


def _facet_table(reader) -> FacetTable:
    size = reader.doc_count_all()
    cards = reader.column_reader("card") if reader.has_column("card") else None
    live = list(reader.all_doc_ids())
    pairs = ((docnum, json.loads(cards[docnum])) for docnum in live) if cards is not None else ()
    return FacetTable.build(size, pairs)


class WhooshBackend:
    """Search over a Whoosh index, implementing `knowledgebase.search.SearchBackend`."""

    def __init__(
        self,
        index_dir: str | Path,
        cache_size: int = 512,
        match_cache_size: int = 64,
        rebuild_procs: int | None = None,
    ):
        self.store = IndexStore(index_dir)
        # Whole results are small (one page); match sets hold 8 bytes per matching document, so
        # fewer are kept: 64 of 50,000 matches each is 25 MB.
        self.cache_size = cache_size
        self.match_cache_size = match_cache_size
        # Full rebuilds index in several processes (Whoosh's MpWriter): 1.9x faster on 2 cores.
        self.rebuild_procs = rebuild_procs or min(os.cpu_count() or 1, 4)
        self._state: _State | None = None
        self._lock = threading.RLock()
        self._parsers = {group: self._make_parser(group) for group in (qparser.AndGroup, qparser.OrGroup)}

    # -- writing -----------------------------------------------------------------------------

    def add(self, documents: Iterable[IndexDocument]) -> int:
        name, ix = self.store.open_or_create()
        spelling = SpellingDictionary.load(self.store.spelling_path(name))
        written = 0
        writer = ix.writer(timeout=WRITER_TIMEOUT, **WRITER_OPTIONS)
        try:
            for document in documents:
                writer.update_document(**_fields(document))
                spelling.add(_words(document))
                written += 1
        except BaseException:
            writer.cancel()
            raise
        # Words are only ever added here: a replaced or deleted document's words stay known
        # until the next full rebuild, which costs a rare suggestion and nothing else.
        spelling.save(self.store.spelling_path(name))
        writer.commit()
        return written

    def delete(self, slugs: Iterable[str]) -> int:
        slugs = list(slugs)
        if not slugs:
            return 0
        _, ix = self.store.open_or_create()
        writer = ix.writer(timeout=WRITER_TIMEOUT, **WRITER_OPTIONS)
        for slug in slugs:
            writer.delete_by_term("slug", slug)
        writer.commit()
        return len(slugs)

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        name, ix = self.store.create_generation()
        written = 0
        options = {"limitmb": 128, **WRITER_OPTIONS}
        if self.rebuild_procs > 1:
            options.update(procs=self.rebuild_procs, multisegment=True)
        writer = ix.writer(**options)
        spelling = SpellingDictionary()
        try:
            for document in documents:
                writer.add_document(**_fields(document))
                spelling.add(_words(document))
                written += 1
        except BaseException:
            writer.cancel()
            shutil.rmtree(self.store.root / name, ignore_errors=True)
            raise
        writer.commit()
        spelling.save(self.store.spelling_path(name))
        ix.close()
        self.store.activate(name)
        return written

    def count(self) -> int:
        with self._lock:
            state = self._current()
            return 0 if state is None else state.searcher.doc_count()

    def is_empty(self) -> bool:
        return self.store.current_name() is None

    def close(self) -> None:
        with self._lock:
            if self._state is not None:
                self._state.close()
                self._state = None

    # -- searching ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        with self._lock:
            state = self._current()
            if state is None:
                return SearchResult(total=0, hits=(), facets={name: () for name in FACETS})
            key = request.cache_key()
            cached = state.results.get(key)
            if cached is not None:
                state.results.move_to_end(key)
                return cached
            result = self._search(state, request)
            state.results[key] = result
            if len(state.results) > self.cache_size:
                state.results.popitem(last=False)
            return result

    def cross_counts(self, request: SearchRequest, rows: str, columns: str) -> CrossCounts:
        for name in (rows, columns):
            check_dimension(name)
        with self._lock:
            state = self._current()
            if state is None:
                return CrossCounts(rows, columns, {}, 0)
            selected, _ = self._selection(state, request)
            cells, row_totals, column_totals = state.table.cross_counts(selected, rows, columns)
            return CrossCounts(rows, columns, cells, int(selected.sum()), row_totals, column_totals)

    def slugs(self, request: SearchRequest) -> Iterator[str]:
        with self._lock:
            state = self._current()
            if state is None:
                return iter(())
            selected, match = self._selection(state, request)
            table = state.table
            if request.effective_sort == "relevance" and match is not None:
                inside = selected[match.docnums]
                docnums, scores = match.docnums[inside], match.scores[inside]
                docnums = docnums[np.lexsort((docnums, -scores))]
            else:
                docnums = table.ordered(selected, request.effective_sort)
        # An array of 4 bytes a match, read out a slice at a time; the table of this generation
        # is kept by the generator even if the index changes meanwhile.
        return _slugs_of(table.slugs, docnums)

    def generation(self) -> str:
        with self._lock:
            state = self._current()
            if state is None:
                return "empty"
            return f"{state.name}.{state.searcher.reader().generation()}"

    def _selection(self, state: _State, request: SearchRequest):
        """The documents a request selects (query, filters, years) as a mask, and the query's
        match (None without a query text)."""
        table = state.table
        text = " ".join(request.q.split())[:MAX_QUERY_LENGTH]
        masks = table.filter_masks(request.filters, request.year_from, request.year_to)
        if not text:
            return table.combine(table.live, masks), None
        match, _ = self._query_match(state, text)
        base = np.zeros(table.size, dtype=bool)
        base[match.docnums] = True
        return table.combine(base, masks), match

    def _query_match(self, state: _State, text: str):
        """Documents matching every word, or if none does, any word: the match and which it was."""
        match = self._match(state, text, qparser.AndGroup)
        if not len(match.docnums) and len(_WORD.findall(text)) > 1:
            match = self._match(state, text, qparser.OrGroup)
            return match, "any" if len(match.docnums) else "all"
        return match, "all"

    def _current(self) -> _State | None:
        name = self.store.current_name()
        if self._state is not None and self._state.name == name:
            self._state.refresh()
            return self._state
        if self._state is not None:
            self._state.close()
            self._state = None
        if name is None:
            return None
        _, ix = self.store.open_current()
        self._state = _State(name, ix, self.store.spelling_path(name))
        return self._state

    def _search(self, state: _State, request: SearchRequest) -> SearchResult:
        table = state.table
        text = " ".join(request.q.split())[:MAX_QUERY_LENGTH]
        masks = table.filter_masks(request.filters, request.year_from, request.year_to)
        matched = "all"
        match = None
        if text:
            match, matched = self._query_match(state, text)
            base = np.zeros(table.size, dtype=bool)
            base[match.docnums] = True
        else:
            base = table.live
        selected = table.combine(base, masks)
        total = int(selected.sum())
        sort = request.effective_sort
        end = request.offset + request.per_page
        if sort == "relevance":
            ranked = self._ranked(match, selected, end)[request.offset : end]
        else:
            ranked = [(int(docnum), None) for docnum in table.ordered(selected, sort)[request.offset : end]]
        snippets = self._snippets(state, match.query, [docnum for docnum, _ in ranked]) if match else {}
        hits = tuple(
            Hit(
                slug=table.slugs[docnum],
                score=None if score is None else round(float(score), 4),
                snippet=snippets.get(docnum),
            )
            for docnum, score in ranked
        )
        counts = table.facet_counts(base, masks, FACETS)
        facets = {
            name: tuple(FacetCount(value, count) for value, count in counts[name].items()) for name in FACETS
        }
        return SearchResult(
            total=total,
            hits=hits,
            facets=facets,
            matched=matched,
            suggestion=self._suggest(state, text) if text else None,
        )

    def _match(self, state: _State, text: str, group) -> _Match:
        """Every document the query matches, with its score (cached per generation), so that any
        filters, sort or page for the same words cost array operations, not another search."""
        key = (text.lower(), group.__name__)
        found = state.matches.get(key)
        if found is not None:
            state.matches.move_to_end(key)
            return found
        parsed = self._parse(text, group)
        try:
            docnums, scores = _score_all(state.searcher, parsed)
        except wq.QueryError:
            # The parser accepted something the engine cannot run: search the plain words.
            parsed = self._parse(" ".join(_WORD.findall(text)), group)
            docnums, scores = _score_all(state.searcher, parsed)
        live = state.table.live[docnums]
        docnums, scores = docnums[live], scores[live]
        phrase = self._proximity_phrase(text)
        if phrase is not None and len(docnums):
            scores = _add_phrase_bonus(state.searcher, phrase, docnums, scores)
        found = state.matches[key] = _Match(parsed, docnums.astype(np.int32), scores.astype(np.float32))
        if len(state.matches) > self.match_cache_size:
            state.matches.popitem(last=False)
        return found

    @staticmethod
    def _ranked(match: _Match, selected, limit: int):
        """The best `limit` matches inside the selection, by score, ties by document order."""
        inside = selected[match.docnums]
        docnums, scores = match.docnums[inside], match.scores[inside]
        order = np.lexsort((docnums, -scores))[:limit]
        return [(int(docnums[i]), float(scores[i])) for i in order]

    def _make_parser(self, group):
        parser = qparser.MultifieldParser(
            list(FIELD_BOOSTS), build_schema(), fieldboosts=FIELD_BOOSTS, group=group
        )
        # Field-free: no field:value, wildcards, ranges, boosts or '*'; phrases, AND/OR/NOT and
        # parentheses stay. Anything else in the text is read as plain words.
        for plugin in (
            qparser.FieldsPlugin,
            qparser.WildcardPlugin,
            qparser.RangePlugin,
            qparser.BoostPlugin,
            qparser.EveryPlugin,
            qparser.SingleQuotePlugin,
        ):
            parser.remove_plugin_class(plugin)
        return parser

    def _parse(self, text: str, group):
        try:
            parsed = self._parsers[group].parse(text)
        except Exception:
            words = " ".join(_WORD.findall(text))
            return self._parsers[group].parse(words) if words else wq.NullQuery
        return parsed

    @staticmethod
    def _proximity_phrase(text: str):
        """For plain words typed together, the phrase of them all; None for a single word or
        when the user wrote their own phrases or operators."""
        words = _WORD.findall(text)
        if len(words) < 2 or " ".join(words) != text:
            return None
        # The body only: a phrase over every field is a union that Whoosh reads whole.
        terms = [token.text for token in _ANALYZER(text)]
        return wq.Phrase("body", terms) if len(terms) > 1 else None

    def _snippets(self, state: _State, parsed, docnums) -> dict[int, str]:
        """A highlighted extract of the body for each document, cut at stored character offsets."""
        terms = {text for fieldname, text in parsed.iter_all_terms(phrases=True) if fieldname == "body"}
        reader = state.searcher.reader()
        spans: dict[int, list[tuple[int, int]]] = {docnum: [] for docnum in docnums}
        ordered = sorted(docnums)
        for term in terms:
            if ("body", term) not in reader:
                continue
            matcher = reader.postings("body", term)
            for docnum in _landings(matcher, ordered):
                spans[docnum].extend((start, end) for _, start, end in matcher.value_as("characters"))
        return {
            docnum: _highlight(state.searcher.stored_fields(docnum).get("body", ""), spans[docnum])
            for docnum in docnums
        }

    def _suggest(self, state: _State, text: str) -> str | None:
        """The query with unknown words replaced by the closest known ones, or None."""
        changed = False
        pieces = []
        position = 0
        for match in _WORD.finditer(text):
            word = match.group(0)
            lowered = word.lower()
            replacement = word
            if (
                len(lowered) > 3
                and lowered.isalpha()
                and lowered not in STOP_WORDS
                and lowered not in state.spelling
            ):
                suggestion = state.spelling.suggest(lowered)
                if suggestion:
                    replacement = suggestion
                    changed = True
            pieces.append(text[position : match.start()])
            pieces.append(replacement)
            position = match.end()
        pieces.append(text[position:])
        return "".join(pieces) if changed else None


def _slugs_of(slugs: list, docnums: np.ndarray, chunk: int = 1000) -> Iterator[str]:
    for start in range(0, len(docnums), chunk):
        for docnum in docnums[start : start + chunk].tolist():
            yield slugs[docnum]


class _Match:
    """What a query matched: the parsed query, document numbers and their scores."""

    __slots__ = ("query", "docnums", "scores")

    def __init__(self, query, docnums, scores):
        self.query, self.docnums, self.scores = query, docnums, scores


def _score_all(searcher, parsed):
    """Document numbers and BM25F scores of every match, segment by segment."""
    docnums: list[int] = []
    scores: list[float] = []
    context = searcher.context()
    for subsearcher, offset in searcher.subsearchers or [(searcher, 0)]:
        matcher = parsed.matcher(subsearcher, context)
        while matcher.is_active():
            docnums.append(matcher.id() + offset)
            scores.append(matcher.score())
            matcher.next()
    return np.asarray(docnums, dtype=np.int64), np.asarray(scores, dtype=np.float64)


def _landings(matcher, docnums):
    """Skip a matcher to each of some ascending document numbers, yielding those it matches
    (the matcher is then positioned on it, for its score or value)."""
    for docnum in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum


def _add_phrase_bonus(searcher, phrase, docnums, scores):
    """Raise the scores of the best-scoring matches that also hold the words as a phrase.

    Only the top RERANK_DEPTH matches are checked, by skipping the phrase matcher to each of
    them: checking positions in every match tripled the time of multi-word queries."""
    top = np.sort(docnums[np.argsort(-scores, kind="stable")[:RERANK_DEPTH]])
    bonus: dict[int, float] = {}
    context = searcher.context()
    for subsearcher, offset in searcher.subsearchers or [(searcher, 0)]:
        matcher = phrase.matcher(subsearcher, context)
        limit = offset + subsearcher.reader().doc_count_all()
        local = [int(docnum) - offset for docnum in top[(top >= offset) & (top < limit)]]
        for docnum in _landings(matcher, local):
            bonus[docnum + offset] = matcher.score()
    if not bonus:
        return scores
    scores = scores.copy()
    boosted = np.fromiter(bonus, dtype=docnums.dtype, count=len(bonus))
    # docnums are in index order, so each boosted document's position is a binary search away.
    scores[np.searchsorted(docnums, boosted)] += PHRASE_BOOST * np.fromiter(
        bonus.values(), dtype=scores.dtype
    )
    return scores


def _highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """An escaped extract around the densest cluster of matches, each wrapped in <mark>."""
    if not text:
        return ""
    spans = sorted(set(spans))
    if spans:
        best_start, best_count = spans[0][0], 0
        right = 0
        for left, (start, _) in enumerate(spans):
            while right < len(spans) and spans[right][1] <= start + SNIPPET_WIDTH:
                right += 1
            if right - left > best_count:
                best_start, best_count = start, right - left
        begin = max(0, best_start - SNIPPET_WIDTH // 4)
    else:
        begin = 0
    end = min(len(text), begin + SNIPPET_WIDTH)
    if begin > 0:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 30 else begin
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + SNIPPET_WIDTH // 2 else end
    out = ["… " if begin > 0 else ""]
    position = begin
    for start, stop in spans:
        if start < position or stop > end:
            continue
        out.append(html.escape(text[position:start]))
        out.append("<mark>" + html.escape(text[start:stop]) + "</mark>")
        position = stop
    out.append(html.escape(text[position:end]))
    if end < len(text):
        out.append(" …")
    return " ".join("".join(out).split("\n"))


def _words(document: IndexDocument) -> set[str]:
    return distinct_words(document.title, document.summary, document.organisation, document.body)


def _fields(document: IndexDocument) -> dict:
    card = {
        "slug": document.slug,
        "published": document.published.toordinal(),
        "added": int(document.added.timestamp()) if document.added else 0,
        "year": document.published.year,
        "title": document.title.lower(),
        "facets": {
            "sector": list(document.sector),
            "legal_form": list(document.legal_form),
            "deliverable_type": document.deliverable_type,
            "programme": document.programme,
            "region": document.region,
            "stage": document.stage,
            "provider": list(document.provider),
        },
    }
    return {
        "slug": document.slug,
        "content_hash": document.content_hash,
        "title": document.title,
        # A line between parts, so a phrase cannot match across the summary and the organisation.
        "meta": "\n".join(
            (document.summary, document.organisation, " ; ".join(document.tags), document.labels)
        ),
        "body": document.body,
        "card": json.dumps(card, separators=(",", ":")).encode("utf-8"),
    }
