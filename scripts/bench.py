"""Benchmark the knowledge base against Datasette on the same synthetic corpus, side by side.

Run from the project folder, with the bench extras installed:

    .venv/bin/pip install -q -e ".[test,bench]"
    .venv/bin/python scripts/bench.py --sizes 1000,10000 --out bench-results/
    .venv/bin/python scripts/bench.py --quick          # CI smoke test: 200 documents, few requests

For each corpus size N it:

1. writes N deliverables in the contract's format into a temporary folder (`scripts/corpus.py`:
   deterministic from --seed, bodies generated from the sample deliverables' text);
2. ours: times `knowledgebase.ingest.ingest` into a fresh SQLite database and Whoosh index
   (docs/s), then `knowledgebase.ingest.reindex` (s), and measures the index on disk;
3. builds a fixed mix of about 40 requests from words that occur in the corpus: single words,
   several words, phrases, filter-only browsing, a query with two filters, misspellings;
4. ours in process: latency of `/api/search` through Flask's test client, the mix run 3 times
   (the first pass is also reported alone as "cold": the engine caches whole results per process);
5. ours over HTTP: `gunicorn -w 2 wsgi:app` (with gunicorn.conf.py) driven by a small thread +
   http.client load generator at concurrency 1 and 8 (a fixed number of requests, cut short by
   --time-cap), giving p50/p95/p99 latency and requests/s, then the peak RSS (VmHWM) of gunicorn's workers;
6. Datasette: the same files loaded with sqlite-utils into a `deliverables` table with FTS5 on
   title, summary, organisation and body (timed as its "ingest"; its "reindex" is an FTS rebuild),
   served by `datasette serve`, and driven with the equivalent mix at the same concurrency and
   request counts;
7. prints a Markdown table per N and a combined one (ours, Datasette, ratio ours/Datasette), and
   writes OUT/bench-N.json, OUT/bench.json (every raw number) and OUT/latency.png (HTTP c8 p95
   latency against corpus size).

How the two sides differ, so the numbers are read fairly:

- ours ranks matches by BM25F, returns snippets, exact counts for 8 facets (provider included)
  and a spelling suggestion; Datasette's table view filters with FTS5 and orders by primary key
  (no ranking, no snippets), and counts the same facets (`_facet`, `_facet_array`).
- Datasette is asked not to return `body` (`_nocol=body`): our API sends a 220-character
  snippet, not the whole text, and shipping 20 full bodies would measure JSON size, not search.
  Filter-only requests ask Datasette for `_sort_desc=published`, as ours sorts them newest first.
  `suggest_facets` is off (ours does not suggest facets).
- ours runs with the site's own gunicorn.conf.py (gunicorn reads it from the project folder):
  threaded workers (gthread, 4 threads each) that keep connections alive, as Datasette (uvicorn)
  does. Runs recorded before 2026-11-25 used sync workers, which close the connection after each
  answer, so every request opened a new TCP connection.
- the load generator runs on the same machine as the servers and shares its CPUs.
- ours keeps per-process caches of whole results and match sets, so after its first pass a fixed
  mix mostly hits the cache; the in-process "cold" rows show the uncached cost, and --uncached
  adds a second gunicorn run with those caches set to size 0 (KB_SEARCH_CACHE_SIZE=0 and
  KB_SEARCH_MATCH_CACHE_SIZE=0).
- Datasette's facets and the full-text query run in SQLite; ours searches in Python (Whoosh) and
  counts facets with NumPy.
- "worker peak RSS" is VmHWM, which includes mapped index files (RssFile); the private part
  (RssAnon) after the load is shown on the next row.

Every server started here listens on a free port of 127.0.0.1 and is stopped on the way out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402  (scripts/corpus.py)

VOCABULARIES = ROOT / "content" / "vocabularies.yml"
VENV_BIN = Path(sys.executable).parent
PER_PAGE = 20
DEFAULT_SIZES = (1000, 10000, 50000)
QUICK_SIZES = (200,)
STARTED = time.perf_counter()

# Datasette's side: table, columns and the facets every request asks for.
DS_DB_NAME = "db"
DS_TABLE = "deliverables"
DS_FTS_COLUMNS = ["title", "summary", "organisation", "body"]
DS_ARRAY_COLUMNS = ("sector", "legal_form", "provider")
DS_FACETS = ("deliverable_type", "programme", "region", "stage", "year")
DS_INDEXED = ("deliverable_type", "programme", "region", "stage", "year", "published")
DS_COLUMN_TYPES = {
    "slug": str,
    "title": str,
    "summary": str,
    "organisation": str,
    "body": str,
    "deliverable_type": str,
    "programme": str,
    "region": str,
    "stage": str,
    "year": int,
    "published": str,
    "sector": str,
    "legal_form": str,
    "provider": str,
}


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- statistics --------------------------------------------------------------------------------


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; None if empty."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def latency_summary(latencies_ms) -> dict:
    latencies_ms = list(latencies_ms)
    return {
        "count": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p95_ms": percentile(latencies_ms, 95),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": max(latencies_ms) if latencies_ms else None,
    }


# --- the query mix -----------------------------------------------------------------------------

SINGLE_WORDS = (
    "pensions",
    "tupe",
    "governance",
    "procurement",
    "volunteers",
    "commissioners",
    "savings",
    "members",
    "trustees",
    "contract",
    "unions",
)
SEVERAL_WORDS = (
    "staff engagement plan",
    "business plan",
    "social value contract",
    "community benefit society",
    "pension deficit guarantee",
    "local authority trading company",
)
PHRASES = ('"asset lock"', '"admitted body"', '"business rates"', '"employee ownership"', '"shadow board"')
MISSPELT = ("busness plan", "pensoins", "goverance", "volunters", "comissioning")
COMMON_WORDS = {
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "will",
    "would",
    "have",
    "are",
    "was",
    "were",
    "which",
    "their",
    "they",
    "been",
    "into",
    "than",
    "more",
    "each",
    "also",
    "but",
    "not",
    "can",
    "its",
    "our",
    "all",
    "one",
    "two",
    "three",
}


@dataclass(frozen=True)
class MixRequest:
    """One request of the mix, in neutral terms; each side turns it into its own URL."""

    kind: str  # word, words, phrase, browse, filtered, misspelt
    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def ours_path(self) -> str:
        params = [("q", self.q)] if self.q else []
        params += list(self.filters)
        years = (("year_from", self.year_from), ("year_to", self.year_to))
        params += [(name, str(value)) for name, value in years if value is not None]
        params.append(("per_page", str(PER_PAGE)))
        return "/api/search?" + urlencode(params)

    def datasette_path(self) -> str:
        params = [("_search", self.q)] if self.q else [("_sort_desc", "published")]
        for name, value in self.filters:
            params.append((f"{name}__arraycontains" if name in DS_ARRAY_COLUMNS else name, value))
        if self.year_from is not None:
            params.append(("year__gte", str(self.year_from)))
        if self.year_to is not None:
            params.append(("year__lte", str(self.year_to)))
        params += [("_facet", name) for name in DS_FACETS]
        params += [("_facet_array", name) for name in DS_ARRAY_COLUMNS]
        params.append(("_nocol", "body"))
        return f"/{DS_DB_NAME}/{DS_TABLE}.json?" + urlencode(params)

    def describe(self) -> str:
        parts = [repr(self.q)] if self.q else []
        parts += [f"{name}={value}" for name, value in self.filters]
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"year={self.year_from}-{self.year_to}")
        return f"{self.kind}: " + (" ".join(parts) or "(everything)")


def tracked_phrases() -> tuple[str, ...]:
    """Phrases whose document frequency the corpus generator counts."""
    return tuple(phrase.strip('"') for phrase in PHRASES) + SEVERAL_WORDS


def build_mix(info: corpus.CorpusInfo, seed: int) -> list[MixRequest]:
    """About 40 requests built from words and values that occur in this corpus, in a fixed order."""
    frequent = [
        word
        for word, _ in info.doc_freq.most_common(400)
        if len(word) >= 6 and word.isalpha() and word not in COMMON_WORDS
    ]
    spare = iter(frequent)

    def present(word):
        return info.doc_freq.get(word, 0) > 0

    words = [word if present(word) else next(spare) for word in SINGLE_WORDS]
    several = [text for text in SEVERAL_WORDS if all(present(word) for word in text.split())]
    phrases = [text for text in PHRASES if info.phrase_freq.get(text.strip('"'), 0) > 0]
    top = {name: [value for value, _ in counter.most_common()] for name, counter in info.values.items()}

    def value(name, rank):
        values = top.get(name) or [""]
        return values[min(rank, len(values) - 1)]

    browse = [
        MixRequest("browse"),
        MixRequest("browse", filters=(("sector", value("sector", 0)),)),
        MixRequest("browse", filters=(("sector", value("sector", 4)),)),
        MixRequest("browse", filters=(("legal_form", value("legal_form", 0)),)),
        MixRequest("browse", filters=(("deliverable_type", value("deliverable_type", 1)),)),
        MixRequest("browse", filters=(("region", value("region", 1)),)),
        MixRequest("browse", filters=(("provider", value("provider", 0)),)),
        MixRequest("browse", year_from=2014, year_to=2016),
    ]

    def pair(first, first_rank, second, second_rank):
        return ((first, value(first, first_rank)), (second, value(second, second_rank)))

    filtered = [
        MixRequest("filtered", words[0], pair("sector", 0, "legal_form", 0)),
        MixRequest("filtered", words[2], pair("deliverable_type", 0, "region", 0)),
        MixRequest("filtered", words[1], pair("sector", 1, "stage", 0)),
        MixRequest("filtered", "business plan", pair("legal_form", 1, "programme", 0)),
        MixRequest("filtered", words[6], (("provider", value("provider", 0)),), year_from=2013, year_to=2017),
        MixRequest("filtered", words[9], pair("region", 2, "sector", 2)),
    ]
    mix = (
        [MixRequest("word", word) for word in words]
        + [MixRequest("words", text) for text in several]
        + [MixRequest("phrase", text) for text in phrases]
        + browse
        + filtered
        + [MixRequest("misspelt", text) for text in MISSPELT]
    )
    random.Random(seed).shuffle(mix)
    return mix


def mix_json(mix: list[MixRequest], info: corpus.CorpusInfo) -> list[dict]:
    rows = []
    for request in mix:
        text = request.q.strip('"').lower()
        frequencies = info.phrase_freq if " " in text else info.doc_freq
        frequency = frequencies.get(text) if text else None
        rows.append(
            {
                **asdict(request),
                "describe": request.describe(),
                "doc_freq": frequency,
                "ours_path": request.ours_path(),
                "datasette_path": request.datasette_path(),
            }
        )
    return rows


# --- files and processes -----------------------------------------------------------------------


def disk_usage(path: Path) -> dict:
    """Bytes on disk (like du) and apparent bytes of a file or folder."""
    used = apparent = 0
    if path.is_file():
        paths = [path]
    else:
        paths = [item for item in path.rglob("*") if item.is_file()] if path.exists() else []
    for item in paths:
        stat = item.stat()
        used += stat.st_blocks * 512
        apparent += stat.st_size
    return {"path": str(path), "mb": used / 1e6, "apparent_mb": apparent / 1e6}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    """A process's memory from /proc/PID/status in MB: VmHWM (peak resident set), and now VmRSS
    split into RssAnon (private heap) and RssFile (mapped files, such as an mmap'd index)."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                found[name] = int(rest.split()[0]) * 1024 / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return found


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc (the children file, else every process's ppid)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            pass
    if found:
        return sorted(found)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return sorted(found)


def http_get(port: int, path: str, timeout: float = 60.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class ServerFailed(RuntimeError):
    pass


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def running_server(
    name: str,
    command: list[str],
    *,
    port: int,
    ready_path: str,
    cwd: Path,
    env: dict,
    log_dir: Path,
    timeout: float = 180.0,
):
    """Start a server, wait until `ready_path` answers 200, and always stop it afterwards."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as output:
        log(f"starting {name}: {' '.join(command)}")
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_ready(name, process, port, ready_path, timeout, log_path)
            yield process
        finally:
            stop_server(process)
            log(f"stopped {name}")


def _wait_until_ready(name, process, port, path, timeout, log_path) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{name} exited with {process.returncode}:\n{_log_tail(log_path)}")
        try:
            status, _ = http_get(port, path, timeout=30)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise ServerFailed(f"{name} not ready after {timeout:.0f}s ({last}):\n{_log_tail(log_path)}")


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server we started; SIGKILL its process group if it lingers, and any of its
    workers that outlived it."""
    workers = children_of(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Not yet reaped, so the group (made for it by start_new_session) is still its own.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    for pid in workers:
        if _process_group(pid) == process.pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _process_group(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        return None


# --- the load generator ------------------------------------------------------------------------


@dataclass
class LoadRun:
    concurrency: int
    requested: int
    time_cap_s: float
    wall_s: float = 0.0
    time_capped: bool = False
    samples: list = field(default_factory=list)  # (mix index, latency ms, status)
    first_bodies: dict = field(default_factory=dict)

    def summary(self) -> dict:
        ok = [ms for _, ms, status in self.samples if status == 200]
        statuses: dict[str, int] = {}
        for _, _, status in self.samples:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        return {
            "concurrency": self.concurrency,
            "requested": self.requested,
            "completed": len(self.samples),
            "ok": len(ok),
            "errors": len(self.samples) - len(ok),
            "statuses": statuses,
            "wall_s": self.wall_s,
            "time_cap_s": self.time_cap_s,
            "time_capped": self.time_capped,
            "req_per_s": len(ok) / self.wall_s if self.wall_s else None,
            **latency_summary(ok),
            "latencies_ms": [round(ms, 3) for _, ms, _ in self.samples],
            "mix_index": [index for index, _, _ in self.samples],
        }


def run_load(
    port: int, paths: list[str], *, concurrency: int, total: int, time_cap: float, keep_first: int = 0
) -> LoadRun:
    """`total` GETs of `paths` in order (cycled), from `concurrency` threads, each with its own
    keep-alive connection; stops issuing new requests after `time_cap` seconds."""
    run = LoadRun(concurrency, total, time_cap)
    lock = threading.Lock()
    issued = iter(range(total))
    start = time.perf_counter()
    deadline = start + time_cap

    def next_index():
        with lock:
            index = next(issued, None)
            if index is not None and time.perf_counter() > deadline:
                run.time_capped = True
                return None
            return index

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while (index := next_index()) is not None:
                position = index % len(paths)
                began = time.perf_counter()
                status, body, connection = _timed_get(connection, port, paths[position])
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    run.samples.append((position, elapsed, status))
                    if index < keep_first:
                        run.first_bodies[index] = (status, body)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall_s = time.perf_counter() - start
    return run


def _timed_get(connection: http.client.HTTPConnection, port: int, path: str):
    """One GET; a connection the server closed in between is reopened once."""
    for attempt in range(2):
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            if response.will_close:
                connection.close()  # http.client reconnects on the next request
            return response.status, body, connection
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            if attempt:
                return -1, b"", connection
    return -1, b"", connection


def drive_server(port: int, mix_paths: list[str], warmup_path: str, settings: Settings) -> dict:
    """Warm the server up, then the mix at concurrency 1 and 8; latencies and throughput."""
    run_load(port, [warmup_path], concurrency=4, total=8, time_cap=120)
    results = {}
    for concurrency, total in ((1, settings.requests_c1), (8, settings.requests_c8)):
        log(f"  load: concurrency {concurrency}, {total} requests (cap {settings.time_cap:.0f}s)")
        run = run_load(
            port,
            mix_paths,
            concurrency=concurrency,
            total=total,
            time_cap=settings.time_cap,
            keep_first=len(mix_paths) if concurrency == 1 else 0,
        )
        results[f"c{concurrency}"] = run.summary()
        if concurrency == 1:
            results["first_pass"] = {index: status for index, (status, _) in run.first_bodies.items()}
            results["_bodies"] = run.first_bodies
        summary = results[f"c{concurrency}"]
        log(
            f"    p50 {fmt_ms(summary['p50_ms'])} p95 {fmt_ms(summary['p95_ms'])} ms, "
            f"{summary['req_per_s'] or 0:.1f} req/s, {summary['errors']} errors"
        )
    return results


# --- ours --------------------------------------------------------------------------------------


def ours_config(work: Path, corpus_dir: Path) -> dict:
    return {
        "DATABASE_URL": f"sqlite:///{work / 'kb.sqlite3'}",
        "INDEX_DIR": str(work / "index"),
        "CONTENT_DIR": str(corpus_dir),
        "VOCABULARIES": str(VOCABULARIES),
        "INGEST_LOCK": str(work / "ingest.lock"),
        "INGEST_LOCK_TIMEOUT": 60,
    }


def ours_ingest(config: dict, corpus_dir: Path, count: int) -> tuple[dict, dict]:
    """Ingest into a fresh database and index, then a full reindex; both timed."""
    from knowledgebase import create_app
    from knowledgebase import ingest as ingesting
    from knowledgebase.catalogue import backend
    from knowledgebase.db import get_database
    from knowledgebase.migrate import upgrade
    from knowledgebase.vocab import load_vocabularies

    upgrade(config["DATABASE_URL"])  # the fresh database gets its tables, as `kb db upgrade` gives them
    app = create_app(config)
    vocabularies = load_vocabularies(VOCABULARIES)
    lock = {"lock_path": config["INGEST_LOCK"], "lock_timeout": config["INGEST_LOCK_TIMEOUT"]}
    try:
        with app.app_context():
            began = time.perf_counter()
            report = ingesting.ingest(
                [corpus_dir], database=get_database(), backend=backend(), vocabularies=vocabularies, **lock
            )
            seconds = time.perf_counter() - began
            rejected = [str(error) for outcome in report.rejected for error in outcome.errors]
            ingest = {
                "seconds": seconds,
                "docs_per_s": report.count("added") / seconds,
                "added": report.count("added"),
                "rejected": len(report.rejected),
                "rejections": rejected[:10],
                "indexed": report.indexed,
                "files": count,
            }
            log(f"  ingest: {report.summary()} in {seconds:.1f}s ({ingest['docs_per_s']:.1f} docs/s)")
            began = time.perf_counter()
            written = ingesting.reindex(
                database=get_database(), backend=backend(), vocabularies=vocabularies, **lock
            )
            reindex = {"seconds": time.perf_counter() - began, "written": written}
            log(f"  reindex: {written} in {reindex['seconds']:.1f}s")
    finally:
        _close_app(app)
    return ingest, reindex


def _close_app(app) -> None:
    from knowledgebase.db import get_database

    try:
        app.extensions["kb.search"].close()
    finally:
        get_database(app).dispose()


def ours_sizes(work: Path) -> tuple[dict, dict]:
    """The current index generation on disk, and database plus whole index folder."""
    index_dir = work / "index"
    pointer = index_dir / "CURRENT"
    current = pointer.read_text().strip() if pointer.exists() else ""
    index = disk_usage(index_dir / current) if current else disk_usage(index_dir)
    index["generation"] = current
    index["index_dir"] = disk_usage(index_dir)
    database = [disk_usage(path) for path in work.glob("kb.sqlite3*")]
    db_mb = sum(item["mb"] for item in database)
    return index, {"mb": db_mb + index["mb"], "database_mb": db_mb, "files": database}


def ours_in_process(config: dict, mix: list[MixRequest], passes: int) -> dict:
    """`/api/search` through Flask's test client: the mix `passes` times, first pass also alone."""
    from knowledgebase import create_app

    app = create_app(config)
    try:
        client = app.test_client()
        began = time.perf_counter()
        first = client.get("/api/search?q=warmup&per_page=1")  # opens the index
        startup_ms = (time.perf_counter() - began) * 1000
        samples, totals, statuses = [], {}, {}
        for number in range(passes):
            for index, request in enumerate(mix):
                began = time.perf_counter()
                response = client.get(request.ours_path())
                elapsed = (time.perf_counter() - began) * 1000
                samples.append((number, index, elapsed, response.status_code))
                if number == 0:
                    statuses[index] = response.status_code
                    body = response.get_json(silent=True) or {}
                    totals[index] = body.get("total")
    finally:
        _close_app(app)
    ok = [(number, index, ms) for number, index, ms, status in samples if status == 200]
    by_kind: dict[str, list[float]] = {}
    for number, index, ms in ok:
        if number == 0:
            by_kind.setdefault(mix[index].kind, []).append(ms)
    return {
        "passes": passes,
        "warmup_status": first.status_code,
        "first_request_ms": startup_ms,
        "all": latency_summary(ms for _, _, ms in ok),
        "cold": latency_summary(ms for number, _, ms in ok if number == 0),
        "warm": latency_summary(ms for number, _, ms in ok if number > 0),
        "cold_p50_by_kind": {kind: percentile(values, 50) for kind, values in sorted(by_kind.items())},
        "errors": sum(1 for *_, status in samples if status != 200),
        "statuses": statuses,
        "totals": totals,
        "samples": [(number, index, round(ms, 3), status) for number, index, ms, status in samples],
    }


#: Settings for `--uncached`: the engine's per-process caches of whole results and match sets
#: turned off, so every request searches.
UNCACHED_SETTINGS = {"SEARCH_CACHE_SIZE": 0, "SEARCH_MATCH_CACHE_SIZE": 0}


def ours_http(
    config: dict, work: Path, mix: list[MixRequest], settings: Settings, uncached: bool = False
) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    env.update({f"KB_{key}": str(value) for key, value in config.items()})
    if uncached:
        env.update({f"KB_{key}": str(value) for key, value in UNCACHED_SETTINGS.items()})
    port = free_port()
    cwd, app_spec, name = ROOT, "wsgi:app", "gunicorn-uncached" if uncached else "gunicorn"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(settings.workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    with running_server(
        name, command, port=port, ready_path="/api/search?per_page=1", cwd=cwd, env=env, log_dir=work
    ) as process:
        results = drive_server(
            port, [request.ours_path() for request in mix], "/api/search?q=warmup&per_page=1", settings
        )
        workers = {str(pid): memory_mb(pid) for pid in children_of(process.pid)}
        results["rss"] = {"workers": workers, "master": memory_mb(process.pid), **_largest(workers.values())}
    bodies = results.pop("_bodies")
    results["totals"] = {index: _json_field(body, "total") for index, (_, body) in bodies.items()}
    return results


def _largest(memories) -> dict:
    """The worker with the highest peak: its VmHWM, and its private (RssAnon) memory now."""
    memories = [memory for memory in memories if memory.get("VmHWM")]
    if not memories:
        return {"worker_peak_mb": None, "worker_anon_mb": None}
    top = max(memories, key=lambda memory: memory["VmHWM"])
    return {
        "worker_peak_mb": top["VmHWM"],
        "worker_anon_mb": top.get("RssAnon"),
        "worker_file_mb": top.get("RssFile"),
    }


def _json_field(body: bytes, name: str):
    try:
        return json.loads(body).get(name)
    except (ValueError, AttributeError):
        return None


# --- Datasette ---------------------------------------------------------------------------------


def datasette_rows(files: list[Path]):
    """One row per deliverable file, for sqlite-utils (lists become JSON arrays)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in files:
        front, body = corpus.split_front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.load(front, Loader=loader) or {}
        published = str(meta.get("published", ""))
        yield {
            "slug": meta.get("slug") or path.stem,
            "title": meta.get("title"),
            "summary": meta.get("summary"),
            "organisation": meta.get("organisation"),
            "body": body,
            "deliverable_type": meta.get("deliverable_type"),
            "programme": meta.get("programme"),
            "region": meta.get("region"),
            "stage": meta.get("stage"),
            "year": int(published[:4]) if published[:4].isdigit() else None,
            "published": published,
            **{name: _as_list(meta.get(name)) for name in DS_ARRAY_COLUMNS},
        }


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def datasette_load(corpus_dir: Path, db_path: Path) -> tuple[dict, dict]:
    """Load the files with sqlite-utils, enable FTS5 and index the facet columns (timed as
    Datasette's ingest); then time an FTS rebuild (its reindex)."""
    import sqlite_utils

    files = sorted(corpus_dir.glob("*.md"))
    began = time.perf_counter()
    db = sqlite_utils.Database(db_path)
    table = db[DS_TABLE]
    table.insert_all(datasette_rows(files), pk="slug", batch_size=200, columns=DS_COLUMN_TYPES)
    inserted = time.perf_counter()
    table.enable_fts(DS_FTS_COLUMNS, create_triggers=False)
    fts_done = time.perf_counter()
    for column in DS_INDEXED:
        table.create_index([column], if_not_exists=True)
    seconds = time.perf_counter() - began
    count = table.count
    load = {
        "seconds": seconds,
        "docs_per_s": count / seconds,
        "rows": count,
        "insert_s": inserted - began,
        "enable_fts_s": fts_done - inserted,
        "create_indexes_s": seconds - (fts_done - began),
    }
    log(f"  datasette load: {count} rows in {seconds:.1f}s ({load['docs_per_s']:.1f} docs/s)")
    began = time.perf_counter()
    table.rebuild_fts()
    reindex = {"seconds": time.perf_counter() - began, "what": "FTS5 'rebuild' of deliverables_fts"}
    db.close()
    return load, reindex


def datasette_sizes(db_path: Path) -> tuple[dict, dict]:
    """The FTS tables' size (via dbstat, when SQLite has it) and the whole database file."""
    storage = disk_usage(db_path)
    index = {"mb": None, "what": "deliverables_fts* tables (dbstat)"}
    connection = sqlite3.connect(db_path)
    try:
        total = connection.execute(
            "select sum(pgsize) from dbstat where name like ?", (f"{DS_TABLE}_fts%",)
        ).fetchone()[0]
        index["mb"] = (total or 0) / 1e6
    except sqlite3.Error as error:
        index["error"] = str(error)
    finally:
        connection.close()
    return index, storage


def datasette_http(db_path: Path, work: Path, mix: list[MixRequest], settings: Settings) -> dict:
    port = free_port()
    command = [
        str(VENV_BIN / "datasette"),
        "serve",
        str(db_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "default_page_size",
        str(PER_PAGE),
        "--setting",
        "sql_time_limit_ms",
        "10000",
        "--setting",
        "facet_time_limit_ms",
        "10000",
        "--setting",
        "suggest_facets",
        "off",
    ]
    with running_server(
        "datasette",
        command,
        port=port,
        ready_path="/-/versions.json",
        cwd=work,
        env=dict(os.environ),
        log_dir=work,
    ) as process:
        results = drive_server(
            port,
            [request.datasette_path() for request in mix],
            f"/{DS_DB_NAME}/{DS_TABLE}.json?_search=warmup&_size=1",
            settings,
        )
        children = {str(pid): memory_mb(pid) for pid in children_of(process.pid)}
        own = memory_mb(process.pid)
        results["rss"] = {"process": own, "children": children, **_largest([own])}
    bodies = results.pop("_bodies")
    results["totals"] = {
        index: _json_field(body, "filtered_table_rows_count") for index, (_, body) in bodies.items()
    }
    timed_out = {index: _json_field(body, "facets_timed_out") for index, (_, body) in bodies.items()}
    results["facets_timed_out"] = {index: facets for index, facets in timed_out.items() if facets}
    return results


# --- one corpus size ---------------------------------------------------------------------------


@dataclass
class Settings:
    seed: int
    passes: int
    requests_c1: int
    requests_c8: int
    time_cap: float
    workers: int
    skip_datasette: bool
    uncached: bool
    keep: bool
    workdir: str | None


@contextmanager
def stage(record: dict, name: str):
    """Run a stage; on failure note the error in the results and carry on with the next one."""
    try:
        yield
    except Exception as error:
        log(f"  {name} FAILED: {error!r}")
        record.setdefault("errors", []).append(
            {"stage": name, "error": repr(error), "traceback": traceback.format_exc()}
        )


def bench_size(n: int, settings: Settings) -> dict:
    from knowledgebase.vocab import load_vocabularies

    work = Path(tempfile.mkdtemp(prefix=f"kb-bench-{n}-", dir=settings.workdir))
    result: dict = {"n": n, "workdir": str(work), "ours": {}, "datasette": {}}
    log(f"N={n}: working in {work}")
    try:
        corpus_dir = work / "corpus"
        began = time.perf_counter()
        info = corpus.generate(
            corpus_dir, n, settings.seed, load_vocabularies(VOCABULARIES), phrases=tracked_phrases()
        )
        result["corpus"] = {
            **info.summary(),
            "seconds": time.perf_counter() - began,
            "mb": disk_usage(corpus_dir)["apparent_mb"],
        }
        log(
            f"  corpus: {n} files, {info.words:,} body words from {info.source} "
            f"({info.sample_files} sample files) in {result['corpus']['seconds']:.1f}s"
        )
        mix = build_mix(info, settings.seed)
        result["mix"] = mix_json(mix, info)
        run_ours(result["ours"], work, corpus_dir, n, mix, settings)
        if not settings.skip_datasette:
            run_datasette(result["datasette"], work, corpus_dir, mix, settings)
        result["totals"] = compare_totals(result, mix)
    finally:
        if settings.keep:
            log(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def run_ours(record: dict, work: Path, corpus_dir: Path, n: int, mix, settings: Settings) -> None:
    config = ours_config(work, corpus_dir)
    with stage(record, "ingest"):
        record["ingest"], record["reindex"] = ours_ingest(config, corpus_dir, n)
    if "ingest" not in record:
        return
    with stage(record, "sizes"):
        record["index"], record["storage"] = ours_sizes(work)
    with stage(record, "in_process"):
        log(f"  in process: {len(mix)} requests x {settings.passes}")
        record["in_process"] = ours_in_process(config, mix, settings.passes)
        summary = record["in_process"]
        cold, every = summary["cold"], summary["all"]
        log(
            f"    cold p50 {fmt_ms(cold['p50_ms'])} p95 {fmt_ms(cold['p95_ms'])} ms; "
            f"all p50 {fmt_ms(every['p50_ms'])} p95 {fmt_ms(every['p95_ms'])} ms; "
            f"{summary['errors']} errors"
        )
    with stage(record, "http"):
        record["http"] = ours_http(config, work, mix, settings)
    if settings.uncached:
        with stage(record, "http_uncached"):
            log("  ours again with its result and match caches off (--uncached)")
            record["http_uncached"] = ours_http(config, work, mix, settings, uncached=True)


def run_datasette(record: dict, work: Path, corpus_dir: Path, mix, settings: Settings) -> None:
    db_path = work / f"{DS_DB_NAME}.sqlite"
    with stage(record, "load"):
        record["ingest"], record["reindex"] = datasette_load(corpus_dir, db_path)
    if "ingest" not in record:
        return
    with stage(record, "sizes"):
        record["index"], record["storage"] = datasette_sizes(db_path)
    with stage(record, "http"):
        record["http"] = datasette_http(db_path, work, mix, settings)


def compare_totals(result: dict, mix: list[MixRequest]) -> list[dict]:
    """How many documents each side found for each request (they search differently)."""
    ours_in_process = result["ours"].get("in_process", {}).get("totals", {})
    ours_http = result["ours"].get("http", {}).get("totals", {})
    theirs = result["datasette"].get("http", {}).get("totals", {})
    return [
        {
            "request": request.describe(),
            "ours": ours_in_process.get(index, ours_http.get(index)),
            "datasette": theirs.get(index),
        }
        for index, request in enumerate(mix)
    ]


# --- output ------------------------------------------------------------------------------------


def dig(record: dict, path: str):
    for key in path.split("."):
        if not isinstance(record, dict) or key not in record:
            return None
        record = record[key]
    return record


#: (label, path in ours' record, path in Datasette's record, decimals)
METRICS = [
    ("ingest docs/s", "ingest.docs_per_s", "ingest.docs_per_s", 1),
    ("ingest s", "ingest.seconds", "ingest.seconds", 1),
    ("reindex s", "reindex.seconds", "reindex.seconds", 2),
    ("index MB", "index.mb", "index.mb", 1),
    ("database + index MB", "storage.mb", "storage.mb", 1),
    ("in-process cold p50 ms", "in_process.cold.p50_ms", None, 2),
    ("in-process cold p95 ms", "in_process.cold.p95_ms", None, 2),
    ("in-process cold p99 ms", "in_process.cold.p99_ms", None, 2),
    ("in-process p50 ms (3 passes)", "in_process.all.p50_ms", None, 2),
    ("in-process p95 ms (3 passes)", "in_process.all.p95_ms", None, 2),
    ("in-process p99 ms (3 passes)", "in_process.all.p99_ms", None, 2),
    ("HTTP c1 p50 ms", "http.c1.p50_ms", "http.c1.p50_ms", 2),
    ("HTTP c1 p95 ms", "http.c1.p95_ms", "http.c1.p95_ms", 2),
    ("HTTP c1 p99 ms", "http.c1.p99_ms", "http.c1.p99_ms", 2),
    ("HTTP c1 req/s", "http.c1.req_per_s", "http.c1.req_per_s", 1),
    ("HTTP c8 p50 ms", "http.c8.p50_ms", "http.c8.p50_ms", 2),
    ("HTTP c8 p95 ms", "http.c8.p95_ms", "http.c8.p95_ms", 2),
    ("HTTP c8 p99 ms", "http.c8.p99_ms", "http.c8.p99_ms", 2),
    ("HTTP c8 req/s", "http.c8.req_per_s", "http.c8.req_per_s", 1),
    ("HTTP errors (c1 + c8)", None, None, 0),
    ("worker peak RSS MB", "http.rss.worker_peak_mb", "http.rss.worker_peak_mb", 1),
    ("worker private RSS MB (RssAnon, after load)", "http.rss.worker_anon_mb", "http.rss.worker_anon_mb", 1),
]
#: Shown only when --uncached ran: ours with its caches off against the same Datasette runs.
UNCACHED_METRICS = [
    (f"HTTP c{c} {what} (ours caches off)", f"http_uncached.c{c}.{key}", f"http.c{c}.{key}", decimals)
    for c in (1, 8)
    for what, key, decimals in (
        ("p50 ms", "p50_ms", 2),
        ("p95 ms", "p95_ms", 2),
        ("p99 ms", "p99_ms", 2),
        ("req/s", "req_per_s", 1),
    )
]


def metrics_for(results: list[dict]) -> list:
    uncached = any("http_uncached" in result["ours"] for result in results)
    return METRICS + (UNCACHED_METRICS if uncached else [])


def metric_values(result: dict, metrics: list) -> list[tuple[str, object, object, int]]:
    rows = []
    for label, ours_path, theirs_path, decimals in metrics:
        if label.startswith("HTTP errors"):
            ours, theirs = (_http_errors(result[side]) for side in ("ours", "datasette"))
        else:
            ours = dig(result["ours"], ours_path) if ours_path else None
            theirs = dig(result["datasette"], theirs_path) if theirs_path else None
        rows.append((label, ours, theirs, decimals))
    return rows


def _http_errors(record: dict):
    runs = [dig(record, f"http.{name}.errors") for name in ("c1", "c8")]
    return sum(runs) if all(run is not None for run in runs) else None


def fmt(value, decimals: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and decimals == 0:
        return str(value)
    return f"{value:,.{decimals}f}"


def fmt_ms(value) -> str:
    return fmt(value, 2)


def ratio(ours, theirs) -> str:
    if ours is None or theirs is None or not theirs:
        return "–"
    return f"{ours / theirs:.2f}"


def table_for(result: dict) -> str:
    lines = [
        f"### N = {result['n']:,}",
        "",
        "| metric | ours | Datasette | ours/Datasette |",
        "|---|---:|---:|---:|",
    ]
    for label, ours, theirs, decimals in metric_values(result, metrics_for([result])):
        cells = (label, fmt(ours, decimals), fmt(theirs, decimals), ratio(ours, theirs))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def combined_table(results: list[dict]) -> str:
    header = ["metric"] + [
        f"{column} N={result['n']:,}" for result in results for column in ("ours", "Datasette", "ratio")
    ]
    lines = ["### All sizes", "", "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    metrics = metrics_for(results)
    per_size = [metric_values(result, metrics) for result in results]
    for position, (label, *_rest) in enumerate(metrics):
        cells = [label]
        for rows in per_size:
            _, ours, theirs, decimals = rows[position]
            cells += [fmt(ours, decimals), fmt(theirs, decimals), ratio(ours, theirs)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def problems(result: dict) -> list[str]:
    """Errors and oddities worth a line under the tables."""
    notes = []
    for side in ("ours", "datasette"):
        for error in result[side].get("errors", []):
            notes.append(f"N={result['n']}: {side} {error['stage']} failed: {error['error']}")
    rejected = dig(result["ours"], "ingest.rejected")
    if rejected:
        notes.append(
            f"N={result['n']}: ours rejected {rejected} files, e.g. "
            f"{dig(result['ours'], 'ingest.rejections')[:2]}"
        )
    for side in ("ours", "datasette"):
        for name in ("c1", "c8"):
            run = dig(result[side], f"http.{name}") or {}
            if run.get("time_capped"):
                notes.append(
                    f"N={result['n']}: {side} {name} hit the time cap after "
                    f"{run['completed']} of {run['requested']} requests"
                )
    timed_out = dig(result["datasette"], "http.facets_timed_out")
    if timed_out:
        notes.append(f"N={result['n']}: Datasette facets timed out on {len(timed_out)} requests")
    return notes


def write_chart(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [result["n"] for result in results]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    lines = (
        ("ours", "http", "ours (gunicorn -w 2)", "o-", "C0"),
        ("ours", "http_uncached", "ours, caches off", "o--", "C0"),
        ("datasette", "http", "Datasette", "s-", "C1"),
    )
    for side, run, label, style, colour in lines:
        values = [dig(result[side], f"{run}.c8.p95_ms") for result in results]
        points = [(size, value) for size, value in zip(sizes, values, strict=False) if value is not None]
        if points:
            axes.plot(*zip(*points, strict=False), style, color=colour, label=label)
    if len(sizes) > 1 and max(sizes) / min(sizes) >= 10:
        axes.set_xscale("log")
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.set_ylim(bottom=0)
    axes.set_xlabel("corpus size (documents)")
    axes.set_ylabel("p95 latency at concurrency 8 (ms)")
    axes.set_title("/api/search vs Datasette table search, HTTP, concurrency 8")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def environment() -> dict:
    from importlib import metadata

    versions = {}
    for name in (
        "knowledgebase",
        "Flask",
        "SQLAlchemy",
        "whoosh3",
        "gunicorn",
        "datasette",
        "sqlite-utils",
        "matplotlib",
        "numpy",
    ):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "versions": versions,
        "git": _git_state(),
    }


def _git_state() -> dict:
    def git(*args):
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
            return done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD"), "changed_files": git("status", "--porcelain").splitlines()}


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")


# --- command line ------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark the knowledge base (ingest, index size, /api/search latency in "
        "process and over HTTP, worker memory) against Datasette on the same "
        "synthetic corpus.",
        epilog="See the module docstring (scripts/bench.py) for what is measured and how.",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="comma-separated corpus sizes (default " + ",".join(map(str, DEFAULT_SIZES)) + ")",
    )
    parser.add_argument(
        "--out",
        default="bench-results",
        help="folder for bench-N.json, bench.json and latency.png (default bench-results/)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test for CI: N=200 and few requests (well under 2 minutes)",
    )
    parser.add_argument("--seed", type=int, default=2013, help="corpus and mix seed (default 2013)")
    parser.add_argument("--passes", type=int, default=3, help="in-process passes over the mix (default 3)")
    parser.add_argument(
        "--requests",
        default=None,
        help="HTTP requests at concurrency 1 and 8, as C1,C8 (default 200,400; quick 41,82)",
    )
    parser.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help="seconds after which a load run stops issuing requests (default 90; quick 20)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="also run ours over HTTP with the engine's result and match caches off",
    )
    parser.add_argument("--skip-datasette", action="store_true", help="measure ours only")
    parser.add_argument(
        "--workdir", default=None, help="where the temporary folders go (default: the system's)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the corpus, databases, index and server logs"
    )
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    else:
        args.sizes = tuple(int(size) for size in args.sizes.split(",") if size.strip())
    if args.requests is None:
        args.requests = "41,82" if args.quick else "200,400"
    if args.time_cap is None:
        args.time_cap = 20.0 if args.quick else 90.0
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs positive integers")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    c1, c8 = (int(value) for value in args.requests.split(","))
    settings = Settings(
        seed=args.seed,
        passes=args.passes,
        requests_c1=c1,
        requests_c8=c8,
        time_cap=args.time_cap,
        workers=args.workers,
        skip_datasette=args.skip_datasette,
        uncached=args.uncached,
        keep=args.keep,
        workdir=args.workdir,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "args": vars(args),
        "environment": environment(),
        "results": [],
    }
    for n in args.sizes:
        result = bench_size(n, settings)
        report["results"].append(result)
        write_json(out / f"bench-{n}.json", result)
        print(table_for(result) + "\n", flush=True)
    report["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    write_json(out / "bench.json", report)
    try:
        write_chart(report["results"], out / "latency.png")
    except Exception as error:
        log(f"chart failed: {error!r}")
    print(combined_table(report["results"]))
    notes = [note for result in report["results"] for note in problems(result)]
    if notes:
        print("\nProblems:\n" + "\n".join(f"- {note}" for note in notes))
    print(f"\nRaw numbers: {out / 'bench.json'}; chart: {out / 'latency.png'}")
    failed = any("errors" in result[side] for result in report["results"] for side in ("ours", "datasette"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
