"""How long a download of a whole search takes, and how much memory it needs, as the collection grows.

For each corpus size it stores the benchmarks' synthetic corpus (scripts/corpus.py, document i the
same as in bench.py's corpus) straight into a fresh SQLite database with `corpus.insert_rows`
(metadata as generated, one-line bodies: a download reads no bodies), indexes it, and then, in
process through Flask's test client, reading the streamed answer a chunk at a time as a client would:

- CSV of every deliverable (`/search.csv`): seconds, rows per second, megabytes;
- the same with tracemalloc on: the peak of Python allocations during the download (tracemalloc
  slows Python down, so it is a separate run);
- the process's resident memory (VmRSS) before the download and the most it reached during it,
  sampled every 1,000 lines;
- JSON Lines (`/search.jsonl`) and a filtered CSV (`?sector=<most common sector>`): seconds;
- `kb export`'s archive (`exports.write_archive`): seconds and size.

Each download runs once to warm up (the first search of a process builds the index's tables),
then is timed. Prints a Markdown table.

    .venv/bin/python scripts/bench_export.py --sizes 1000 10000 50000
    .venv/bin/python scripts/bench_export.py --sizes 200       # CI smoke test
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402

from knowledgebase import create_app, exports  # noqa: E402
from knowledgebase.catalogue import backend  # noqa: E402
from knowledgebase.db import get_database  # noqa: E402
from knowledgebase.ingest import rebuild_index  # noqa: E402
from knowledgebase.migrate import upgrade  # noqa: E402
from knowledgebase.search import SearchRequest  # noqa: E402
from knowledgebase.vocab import load_vocabularies  # noqa: E402

VOCABULARIES = ROOT / "content" / "vocabularies.yml"


def rss_mb() -> float:
    """This process's resident memory now (Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def download(client, url: str, trace: bool = False) -> dict:
    """Stream one download; time, size, lines, RSS before and at most during, tracemalloc peak."""
    gc.collect()
    before = rss_mb()
    highest = before
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.status_code
    lines = size = 0
    for chunk in response.response:
        lines += 1
        size += len(chunk)
        if lines % 1000 == 0:
            highest = max(highest, rss_mb())
    response.close()
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return {
        "seconds": seconds,
        "lines": lines,
        "mb": size / 1e6,
        "rss_before": before,
        "rss_peak": max(highest, rss_mb()),
        "traced_peak": peak,
    }


def measure(size: int, seed: int) -> dict:
    vocabularies = load_vocabularies(VOCABULARIES)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp / 'kb.sqlite3'}"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "INDEX_DIR": str(tmp / "index"),
                "INGEST_LOCK": str(tmp / "ingest.lock"),
                "PUBLIC_URL": "https://mutuals.example.org",
                "EXPORT_RATE_LIMIT": "10000 per minute",
            }
        )
        with app.app_context():
            started = time.perf_counter()
            corpus.insert_rows(get_database(), size, seed, vocabularies)
            stored = time.perf_counter() - started
            started = time.perf_counter()
            rebuild_index(get_database(), backend(), vocabularies)
            indexed = time.perf_counter() - started
            counts = backend().search(SearchRequest(per_page=1)).facets["sector"]
            sector = max(counts, key=lambda item: item.count).value
        client = app.test_client()
        for url_ in ("/search.csv", "/search.jsonl", f"/search.csv?sector={sector}"):
            download(client, url_)  # warm up
        csv_run = download(client, "/search.csv")
        traced = download(client, "/search.csv", trace=True)
        jsonl = download(client, "/search.jsonl")
        filtered = download(client, f"/search.csv?sector={sector}")
        with app.app_context(), get_database().session() as session:
            started = time.perf_counter()
            archive = exports.write_archive(session, tmp / "exports", "https://mutuals.example.org")
            archive_seconds = time.perf_counter() - started
        app.extensions["kb.search"].close()
        get_database(app).dispose()
    assert csv_run["lines"] == size + 1, (csv_run["lines"], size)
    return {
        "size": size,
        "stored_s": stored,
        "indexed_s": indexed,
        "csv": csv_run,
        "traced": traced,
        "jsonl": jsonl,
        "filtered": filtered,
        "filtered_rows": filtered["lines"] - 1,
        "archive_s": archive_seconds,
        "archive_mb": archive.size / 1e6,
    }


def table(results: list[dict]) -> str:
    rows = [
        ("deliverables", lambda r: f"{r['size']:,}"),
        ("corpus stored, s", lambda r: f"{r['stored_s']:.1f}"),
        ("corpus indexed, s", lambda r: f"{r['indexed_s']:.1f}"),
        ("CSV download, s", lambda r: f"{r['csv']['seconds']:.2f}"),
        ("CSV rows/s", lambda r: f"{r['size'] / r['csv']['seconds']:,.0f}"),
        ("CSV size, MB", lambda r: f"{r['csv']['mb']:.1f}"),
        ("CSV tracemalloc peak, MB", lambda r: f"{r['traced']['traced_peak']:.2f}"),
        ("RSS before download, MB", lambda r: f"{r['csv']['rss_before']:.0f}"),
        ("RSS peak during download, MB", lambda r: f"{r['csv']['rss_peak']:.0f}"),
        ("JSON Lines download, s", lambda r: f"{r['jsonl']['seconds']:.2f}"),
        ("filtered CSV (one sector), rows", lambda r: f"{r['filtered_rows']:,}"),
        ("filtered CSV (one sector), s", lambda r: f"{r['filtered']['seconds']:.2f}"),
        ("kb export archive, s", lambda r: f"{r['archive_s']:.1f}"),
        ("archive size, MB", lambda r: f"{r['archive_mb']:.1f}"),
    ]
    lines = ["| | " + " | ".join(f"{r['size']:,}" for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))
    for label, value in rows[1:]:
        lines.append(f"| {label} | " + " | ".join(value(r) for r in results) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes")
    parser.add_argument("--seed", type=int, default=2013, help="corpus seed (as bench.py)")
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        print(f"measuring {size:,} deliverables...", file=sys.stderr, flush=True)
        results.append(measure(size, args.seed))
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
