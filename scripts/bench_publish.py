"""How long from an editor pressing Publish to the deliverable being findable in search.

For each corpus size, ingests the synthetic corpus (scripts/corpus.py) into a fresh SQLite
database and Whoosh index, then, for each of `--rounds` new deliverables: an advisor's draft is
saved and submitted (not timed), and the timer runs from the editor's publish POST (through the
whole Flask request: the database commit and the index update inside it) until `/api/search`
for a word only that deliverable has returns it, in the same process, as a worker would see it.
Each round's word is new, so no search cache can help. Prints a table of medians and ranges.

    .venv/bin/python scripts/bench_publish.py --sizes 1000 10000 --rounds 9
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402

from knowledgebase import accounts, create_app, publishing  # noqa: E402
from knowledgebase.catalogue import backend  # noqa: E402
from knowledgebase.db import get_database  # noqa: E402
from knowledgebase.ingest import ingest  # noqa: E402
from knowledgebase.migrate import upgrade  # noqa: E402
from knowledgebase.models import Role  # noqa: E402
from knowledgebase.vocab import load_vocabularies  # noqa: E402

VOCABULARIES = ROOT / "content" / "vocabularies.yml"


def _draft_text(word: str) -> str:
    meta = {
        "title": f"Benchmark plan {word}",
        "summary": "A deliverable made by the publish benchmark.",
        "organisation": "Benchmark Borough Council",
        "sector": ["libraries"],
        "legal_form": ["community-interest-company"],
        "deliverable_type": "business-plan",
        "provider": ["Mutual Ventures"],
        "published": "2015-06-01",
    }
    return f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n# Plan\n\nThe word {word} is only here.\n"


def measure(size: int, rounds: int, seed: int) -> dict:
    vocabularies = load_vocabularies(VOCABULARIES)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        corpus.generate(tmp / "content", size, seed, vocabularies)
        url = f"sqlite:///{tmp / 'kb.sqlite3'}"
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "INDEX_DIR": str(tmp / "index"),
                "INGEST_LOCK": str(tmp / "ingest.lock"),
                "VOCABULARIES": str(VOCABULARIES),
                "SECRET_KEY": "benchmark",
                "WTF_CSRF_ENABLED": False,  # the requests are built here, not by a browser
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            ingest(
                [tmp / "content"],
                database=get_database(),
                backend=backend(),
                vocabularies=vocabularies,
                lock_path=app.config["INGEST_LOCK"],
            )
            with get_database().session() as session:
                advisor = accounts.create_user(
                    session, "a@bench.example", role=Role.ADVISOR, providers=["Mutual Ventures"]
                )
                editor = accounts.create_user(session, "e@bench.example", role=Role.EDITOR)
                advisor_id, editor_id = advisor.id, editor.id
        client = app.test_client()
        with client.session_transaction() as session:
            with app.app_context(), get_database(app).session() as db:
                session["_user_id"] = accounts.session_token(db.get(accounts.User, editor_id))
            session["_fresh"] = True
        timings = []
        for n in range(rounds):
            word = f"zqx{seed}r{n}"
            with app.app_context(), get_database().session() as db:
                user = db.get(accounts.User, advisor_id)
                row, _, _ = publishing.save(db, user, _draft_text(word), vocabularies=vocabularies)
                publishing.submit(db, user, row)
                slug = row.slug
            started = time.perf_counter()
            response = client.post(f"/publish/{slug}/publish", data={"reviewed": "1"})
            assert response.status_code == 302, response.status_code
            found = client.get(f"/api/search?q={word}").get_json()
            elapsed = time.perf_counter() - started
            assert [r["slug"] for r in found["results"]] == [slug], found
            timings.append(elapsed * 1000)
        with app.app_context():
            backend().close()
            get_database().dispose()
    return {"size": size, "median": statistics.median(timings), "min": min(timings), "max": max(timings)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = [measure(size, args.rounds, args.seed) for size in args.sizes]
    print(f"{'deliverables':>12}  {'publish → searchable, median ms':>32}  {'min':>7}  {'max':>7}")
    for row in rows:
        print(f"{row['size']:>12,}  {row['median']:>32.0f}  {row['min']:>7.0f}  {row['max']:>7.0f}")
    print(f"({args.rounds} publishes each; the whole publish request, then a search for a word only it has)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
