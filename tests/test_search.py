"""Search through the API on a generated corpus whose right answers are known by construction:
exact facet counts for any filter combination, sorts, phrases, suggestions, paging, bad syntax."""

import datetime as dt
import random
from collections import Counter

import pytest
from bs4 import BeautifulSoup

from knowledgebase.search import FILTERS

from .conftest import backend_of, deliverable_text, ingest_into, make_app

#: Words that appear only in bodies and in no vocabulary label, so matches are known exactly.
KEYWORDS = ("actuarial", "ballot", "endowment", "franchise")
PROVIDERS = ("Mutual Ventures", "Baxendale", "Bevan Brittan", "Co-operatives UK", "Numbers for Good")


def build_corpus(vocabularies, count=60, seed=7):
    rng = random.Random(seed)
    slugs = lambda name: vocabularies[name].slugs  # noqa: E731
    corpus = []
    for number in range(count):
        meta = {
            "slug": f"doc-{number:03d}",
            "title": f"{rng.choice(['Advice', 'Report', 'Paper', 'note'])} {number} "
            f"for {rng.choice(['Ashford', 'Barnet', 'Crewe'])}",
            "sector": rng.sample(slugs("sector"), rng.choice([1, 1, 2])),
            "legal_form": rng.sample(slugs("legal_form"), rng.choice([1, 2])),
            "deliverable_type": rng.choice(slugs("deliverable_type")),
            "provider": rng.sample(PROVIDERS, rng.choice([1, 2])),
            "programme": rng.choice([*slugs("programme"), None]),
            "region": rng.choice([*slugs("region"), None]),
            "stage": rng.choice([*slugs("stage"), None]),
            "published": dt.date(rng.randint(2011, 2022), rng.randint(1, 12), rng.randint(1, 28)),
            "keywords": sorted(rng.sample(KEYWORDS, rng.randint(0, 3))),
        }
        corpus.append(meta)
    return corpus


def write_corpus(folder, corpus):
    folder.mkdir(parents=True, exist_ok=True)
    for meta in corpus:
        front = {key: value for key, value in meta.items() if key != "keywords" and value is not None}
        front["published"] = meta["published"].isoformat()
        front["summary"] = "Advice to a service spinning out."
        front["organisation"] = "A council service"
        body = (
            "# Advice\n\nThis deliverable discusses "
            + (" and ".join(meta["keywords"]) or "nothing special")
            + ".\n"
        )
        unset = [key for key in ("programme", "region", "stage") if meta[key] is None]
        text = deliverable_text(body, drop=("tags", "award_value", *unset), **front)
        (folder / f"{meta['slug']}.md").write_text(text)


@pytest.fixture(scope="module")
def corpus(vocabularies):
    return build_corpus(vocabularies)


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, corpus):
    tmp_path = tmp_path_factory.mktemp("corpus")
    write_corpus(tmp_path / "content", corpus)
    app = make_app(tmp_path)
    report = ingest_into(app, tmp_path / "content")
    assert report.ok and report.count("added") == len(corpus)
    yield app
    backend_of(app).close()


@pytest.fixture
def api(corpus_app):
    client = corpus_app.test_client()

    def get(**params):
        response = client.get("/api/search", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return get


def values_of(meta, facet):
    if facet == "year":
        return [str(meta["published"].year)]
    value = meta[facet]
    return value if isinstance(value, list) else ([] if value is None else [value])


def expected(corpus, keyword=None, filters=None, year_from=None, year_to=None):
    """Total and facet counts computed by brute force from the corpus."""
    filters = filters or {}

    def passes(meta, leave_out=None):
        if keyword and keyword not in meta["keywords"]:
            return False
        for facet, selected in filters.items():
            if facet != leave_out and not set(values_of(meta, facet)) & set(selected):
                return False
        if leave_out != "year":
            year = meta["published"].year
            if (year_from and year < year_from) or (year_to and year > year_to):
                return False
        return True

    total = sum(passes(meta) for meta in corpus)
    facets = {}
    for facet in (*FILTERS, "year"):
        counts = Counter()
        for meta in corpus:
            if passes(meta, leave_out=facet):
                counts.update(values_of(meta, facet))
        facets[facet] = dict(counts)
    return total, facets


def actual_facets(answer):
    return {
        facet: {option["value"]: option["count"] for option in options if option["count"]}
        for facet, options in answer["facets"].items()
    }


def random_requests(corpus, count=40, seed=11):
    rng = random.Random(seed)
    for _ in range(count):
        filters = {}
        for facet in rng.sample(FILTERS, rng.randint(0, 3)):
            pool = sorted({value for meta in corpus for value in values_of(meta, facet)})
            filters[facet] = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        keyword = rng.choice([None, *KEYWORDS])
        year_from = rng.choice([None, 2013, 2016])
        year_to = rng.choice([None, 2018, 2022])
        yield keyword, filters, year_from, year_to


def test_facet_counts_are_exact_for_any_combination(api, corpus):
    for keyword, filters, year_from, year_to in random_requests(corpus):
        params = {**filters, "per_page": 100}
        if keyword:
            params["q"] = keyword
        if year_from:
            params["year_from"] = year_from
        if year_to:
            params["year_to"] = year_to
        answer = api(**params)
        total, facets = expected(corpus, keyword, filters, year_from, year_to)
        assert answer["total"] == total, params
        assert len(answer["results"]) == min(total, 100)
        assert actual_facets(answer) == facets, params


def test_a_facets_own_selection_does_not_shrink_its_counts(api, corpus):
    answer = api(sector="youth-services")
    unfiltered = api()
    assert actual_facets(answer)["sector"] == actual_facets(unfiltered)["sector"]
    selected = [option["value"] for option in answer["facets"]["sector"] if option["selected"]]
    assert selected == ["youth-services"]


def test_filters_or_within_and_across(api, corpus):
    answer = api(region=["london", "north-east"], stage="exploring", per_page=100)
    wanted = {
        meta["slug"]
        for meta in corpus
        if meta["region"] in ("london", "north-east") and meta["stage"] == "exploring"
    }
    assert {result["slug"] for result in answer["results"]} == wanted


def test_filters_accept_labels_and_aliases(api):
    assert api(legal_form="CIC")["total"] == api(legal_form="community-interest-company")["total"]


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("newest", lambda m: (m["published"],), True),
        ("oldest", lambda m: (m["published"],), False),
    ],
)
def test_date_sorts(api, corpus, sort, key, reverse):
    answer = api(sort=sort, per_page=100)
    dates = [result["published"] for result in answer["results"]]
    assert dates == sorted(dates, reverse=reverse)
    assert answer["sort"] == sort


def test_title_sort_ignores_case(api):
    titles = [result["title"] for result in api(sort="title", per_page=100)["results"]]
    assert titles == sorted(titles, key=str.lower)


def test_browsing_defaults_to_newest_and_query_to_relevance(api):
    assert api()["sort"] == "newest"
    answer = api(q="ballot")
    assert answer["sort"] == "relevance"
    scores = [result["score"] for result in answer["results"]]
    assert scores == sorted(scores, reverse=True) and all(score > 0 for score in scores)


def test_sort_by_date_with_a_query(api, corpus):
    answer = api(q="endowment", sort="oldest", per_page=100)
    assert [r["slug"] for r in answer["results"]] == [
        meta["slug"]
        for meta in sorted(
            (m for m in corpus if "endowment" in m["keywords"]),
            key=lambda m: (m["published"], m["title"].lower()),
        )
    ]


def test_pagination_walks_the_whole_ordering(api, corpus):
    everything = [result["slug"] for result in api(per_page=100)["results"]]
    paged = []
    for page in range(1, 8):
        answer = api(per_page=9, page=page)
        assert answer["page"] == page and answer["per_page"] == 9
        paged.extend(result["slug"] for result in answer["results"])
    assert paged == everything
    assert api(per_page=9, page=500)["results"] == []


def test_snippets_mark_matches_and_are_safe(api):
    result = api(q="franchise")["results"][0]
    soup = BeautifulSoup(result["snippet"], "html.parser")
    assert [tag.name for tag in soup.find_all(True)] == ["mark"]
    assert soup.mark.get_text().lower() == "franchise"


def test_misspelling_gets_a_suggestion(api):
    answer = api(q="actuarail")
    assert answer["total"] == 0
    assert answer["suggestion"] == "actuarial"
    assert api(q="actuarial")["suggestion"] is None


def test_no_match_for_all_words_falls_back_to_any(api, corpus):
    answer = api(q="ballot zebracrossing")
    assert answer["matched"] == "any"
    assert answer["total"] == sum("ballot" in meta["keywords"] for meta in corpus)


@pytest.mark.parametrize(
    "q",
    [
        "title:ballot",
        "ballot AND",
        "OR",
        "NOT NOT",
        '"unclosed phrase',
        "((ballot",
        "ballot)))",
        "*",
        "?",
        "ballot^5",
        "[a TO z]",
        "{x",
        "\\",
        "a" * 5000,
        "ballot~",
        "'",
        "/",
        "<script>alert(1)</script>",
        "\u0000",
        "🙂 ballot",
        "-ballot",
        "+ballot",
        "ballot:",
        ":",
        "&&||",
        '""',
        "%",
    ],
)
def test_any_query_syntax_answers_200(api, q):
    answer = api(q=q)
    assert isinstance(answer["total"], int)
    assert len(answer["query"]) <= 256


def test_phrases_match_words_in_order(tmp_path, write):
    write("together.md", body="The asset lock protects the community.\n")
    write("apart.md", body="Lock the asset register away.\n")
    app = make_app(tmp_path)
    ingest_into(app, write.folder)
    client = app.test_client()
    phrase = client.get("/api/search", query_string={"q": '"asset lock"'}).get_json()
    words = client.get("/api/search", query_string={"q": "asset lock"}).get_json()
    assert [r["slug"] for r in phrase["results"]] == ["together"]
    assert {r["slug"] for r in words["results"]} == {"together", "apart"}
    backend_of(app).close()


def test_title_matches_outrank_body_matches(tmp_path, write):
    write("in-body.md", title="General advice", body="Some words about pensions here.\n")
    write("in-title.md", title="Pensions advice for staff", body="Some words about other things here.\n")
    app = make_app(tmp_path)
    ingest_into(app, write.folder)
    answer = app.test_client().get("/api/search?q=pensions").get_json()
    assert [r["slug"] for r in answer["results"]][0] == "in-title"
    backend_of(app).close()


def test_searcher_is_reused_until_the_index_changes(tmp_path, write):
    write("a.md")
    app = make_app(tmp_path)
    ingest_into(app, write.folder)
    backend = backend_of(app)
    client = app.test_client()
    client.get("/api/search?q=tupe")
    first = backend._state.searcher
    client.get("/api/search?q=pensions")
    assert backend._state.searcher is first
    write("b.md", title="Another one about the endowment")
    ingest_into(app, write.folder)
    answer = client.get("/api/search?q=endowment").get_json()
    assert [r["slug"] for r in answer["results"]] == ["b"]
    assert backend._state.searcher is not first
    backend.close()


def test_a_searcher_opened_on_an_empty_index_sees_later_documents(tmp_path, write):
    app = make_app(tmp_path)
    ingest_into(app, write.folder)  # nothing yet: an empty index
    client = app.test_client()
    assert client.get("/api/search?q=tupe").get_json()["total"] == 0
    write("a.md")
    ingest_into(app, write.folder)
    assert client.get("/api/search?q=tupe").get_json()["total"] == 1
    backend_of(app).close()


def test_spelling_prefers_the_most_common_of_equally_close_words():
    from knowledgebase.search.spelling import SpellingDictionary, distinct_words

    dictionary = SpellingDictionary()
    for text in ["pension pensions", "pensions", "pensions tension"]:
        dictionary.add(distinct_words(text))
    assert "pensions" in dictionary and "2013" not in distinct_words("in 2013")
    assert dictionary.suggest("pensioms") == "pensions"
    assert dictionary.suggest("pensio") == "pension"
    assert dictionary.suggest("xylophone") is None


def test_words_typed_together_rank_documents_holding_them_together_first(tmp_path, write):
    write(
        "apart.md",
        title="General advice",
        body="The asset register and the lock. Asset sales. Lock the doors.\n",
    )
    write("together.md", title="General advice", body="The asset lock protects the community.\n")
    app = make_app(tmp_path)
    ingest_into(app, write.folder)
    answer = app.test_client().get("/api/search?q=asset+lock").get_json()
    assert [r["slug"] for r in answer["results"]] == ["together", "apart"]
    backend_of(app).close()


def test_an_open_searcher_sees_an_updated_document_once(tmp_path, write):
    """whoosh3's Searcher.refresh() brings the replaced segment back beside the new one (its
    `FileIndex._reader` extends the new segments with the old reader's), so a long-running web
    process counted an updated deliverable twice. The backend reopens instead of refreshing."""
    app = make_app(tmp_path)
    write("a.md")
    write("b.md", title="Second plan")
    ingest_into(app, write.folder)
    client = app.test_client()
    assert client.get("/api/search?q=tupe").get_json()["total"] == 2  # the searcher is open now
    write("a.md", title="Business plan, revised")
    ingest_into(app, write.folder)
    answer = client.get("/api/search?q=tupe").get_json()
    assert (answer["total"], sorted(r["slug"] for r in answer["results"])) == (2, ["a", "b"])
    assert sum(option["count"] for option in answer["facets"]["deliverable_type"]) == 2
    backend_of(app).close()
