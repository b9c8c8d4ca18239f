"""The evidence map's latency: one cross-tabulation through the search seam against the loop of
filtered searches it replaces, unfiltered and filtered, at each corpus size.

For each size, the synthetic corpus (scripts/corpus.py) is ingested into a fresh SQLite database
and Whoosh index. Then, in process, for `--rounds` rounds:

- "seam": `research.evidence_map(request, rows, columns)` (one `cross_counts` call: the cells
  and each axis's totals), labelled, as the page and the API get it;
- "page": GET /evidence-map with the same parameters through the Flask test client (the whole
  request: parameters, the map, the template), when the site has that page;
- "loop": what a map without `cross_counts` would cost: one search per cell (rows × columns
  searches with both values as filters, per_page=0, facet counts included as any search has them).

Unfiltered is sector × legal form of everything. Filtered adds a query word and a region filter,
and every round uses a different word, drawn from words in 1-20% of documents, so no match cache
helps (one-off queries); the unfiltered rows repeat, which only the per-generation indicator
matrices (built once, on the first map) can help. Whole results are not cached
(`SEARCH_CACHE_SIZE=0`), or the loop's repeated searches would be answered from memory. Prints
medians and ranges in milliseconds and the ratio loop / seam.

    .venv/bin/python scripts/bench_map.py --sizes 1000 10000 --rounds 9
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402

from knowledgebase import create_app, research  # noqa: E402
from knowledgebase.catalogue import backend  # noqa: E402
from knowledgebase.db import get_database  # noqa: E402
from knowledgebase.ingest import ingest  # noqa: E402
from knowledgebase.migrate import upgrade  # noqa: E402
from knowledgebase.search import SearchRequest  # noqa: E402
from knowledgebase.vocab import load_vocabularies  # noqa: E402

VOCABULARIES = ROOT / "content" / "vocabularies.yml"
ROWS, COLUMNS = "sector", "legal_form"


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def _request(kind: str, words: list[str], number: int, region: str) -> SearchRequest:
    if kind == "unfiltered":
        return SearchRequest()
    return SearchRequest(q=words[number], filters={"region": (region,)})


def _page(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.status_code


def _loop(request: SearchRequest, vocabularies) -> dict:
    cells = {}
    for row in vocabularies[ROWS].slugs:
        for column in vocabularies[COLUMNS].slugs:
            filters = {**request.filters, ROWS: (row,), COLUMNS: (column,)}
            found = backend().search(replace(request, filters=filters, per_page=0))
            if found.total:
                cells[(row, column)] = found.total
    return cells


def _words(info: corpus.CorpusInfo, count: int, seed: int) -> list[str]:
    low, high = info.count * 0.01, info.count * 0.2
    pool = sorted(
        word for word, n in info.doc_freq.items() if low <= n <= high and word.isalpha() and len(word) > 4
    )
    return random.Random(seed).sample(pool, min(count, len(pool)))


def measure(size: int, rounds: int, seed: int) -> list[dict]:
    vocabularies = load_vocabularies(VOCABULARIES)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        info = corpus.generate(tmp / "content", size, seed, vocabularies)
        url = f"sqlite:///{tmp / 'kb.sqlite3'}"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "INDEX_DIR": str(tmp / "index"),
                "INGEST_LOCK": str(tmp / "ingest.lock"),
                "VOCABULARIES": str(VOCABULARIES),
                "SECRET_KEY": "benchmark",
                "RATELIMIT_ENABLED": False,
                # No whole-result cache: the loop's unfiltered searches repeat every round and
                # would be answered from it. The seam has no such cache to switch off.
                "SEARCH_CACHE_SIZE": 0,
            }
        )
        has_page = "/evidence-map" in {rule.rule for rule in app.url_map.iter_rules()}
        client = app.test_client()
        words = _words(info, rounds * 3, seed)
        region = info.values["region"].most_common(1)[0][0]
        results = []
        with app.app_context():
            ingest(
                [tmp / "content"],
                database=get_database(),
                backend=backend(),
                vocabularies=vocabularies,
                lock_path=app.config["INGEST_LOCK"],
            )
            research.evidence_map(SearchRequest(), ROWS, COLUMNS)  # open the searcher, build the matrices
            if has_page:
                _page(client, "/evidence-map?q=warm")  # compile the template once
            for kind in ("unfiltered", "filtered"):
                timings: dict[str, list[float]] = {"seam": [], "page": [], "loop": []}
                for n in range(rounds):
                    seam_request, page_request, loop_request = (
                        _request(kind, words, n * 3 + offset, region) for offset in range(3)
                    )
                    # The loop is checked against the map for its search (not timed); each way is
                    # then timed on a search nothing has seen yet.
                    mapped = research.evidence_map(loop_request, ROWS, COLUMNS)
                    assert _loop(loop_request, vocabularies) == mapped.cells
                    timings["seam"].append(_timed(research.evidence_map, seam_request, ROWS, COLUMNS))
                    if has_page:
                        query = {"rows": ROWS, "columns": COLUMNS}
                        if page_request.q:
                            query.update(q=page_request.q, region=region)
                        timings["page"].append(_timed(_page, client, "/evidence-map?" + urlencode(query)))
                    fresh = replace(loop_request, q=f"{loop_request.q} {seam_request.q}".strip())
                    timings["loop"].append(_timed(_loop, fresh, vocabularies))
                results.append({"size": size, "kind": kind, **timings})
            backend().close()
            get_database().dispose()
    return results


def _cell(values: list[float]) -> str:
    if not values:
        return f"{'—':>22}"
    return f"{statistics.median(values):>8.1f} ({min(values):.1f}–{max(values):.1f})".rjust(22)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = [row for size in args.sizes for row in measure(size, args.rounds, args.seed)]
    print(
        f"{'deliverables':>12}  {'search':>10}  {'seam, median ms':>22}  {'page, median ms':>22}  "
        f"{'loop of searches, ms':>22}  {'loop / seam':>11}"
    )
    for row in rows:
        ratio = statistics.median(row["loop"]) / statistics.median(row["seam"])
        print(
            f"{row['size']:>12,}  {row['kind']:>10}  {_cell(row['seam'])}  {_cell(row['page'])}  "
            f"{_cell(row['loop'])}  {ratio:>10.0f}×"
        )
    print(
        f"({args.rounds} rounds each, {ROWS} × {COLUMNS}; "
        "filtered: a different query word each round and a region)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
