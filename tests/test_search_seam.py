"""The search seam's research operations on the generated corpus, checked by brute force:
`cross_counts` (the evidence map's cells), `slugs` (every match in order, for exports) and
`generation` (the ETag token)."""

import itertools
from collections import Counter

import pytest

from knowledgebase.search import DIMENSIONS, SearchRequest

from .conftest import backend_of, ingest_into, make_app
from .test_search import build_corpus, expected, random_requests, values_of, write_corpus


@pytest.fixture(scope="module")
def corpus(vocabularies):
    return build_corpus(vocabularies)


@pytest.fixture(scope="module")
def backend(tmp_path_factory, corpus):
    tmp_path = tmp_path_factory.mktemp("seam")
    write_corpus(tmp_path / "content", corpus)
    app = make_app(tmp_path)
    assert ingest_into(app, tmp_path / "content").ok
    yield backend_of(app)
    backend_of(app).close()


def passes(meta, keyword, filters, year_from, year_to):
    if keyword and keyword not in meta["keywords"]:
        return False
    if any(not set(values_of(meta, facet)) & set(selected) for facet, selected in filters.items()):
        return False
    year = meta["published"].year
    return not ((year_from and year < year_from) or (year_to and year > year_to))


def brute_cells(corpus, rows, columns, *request):
    cells = Counter()
    for meta in corpus:
        if passes(meta, *request):
            cells.update(itertools.product(values_of(meta, rows), values_of(meta, columns)))
    return dict(cells)


def search_request(keyword, filters, year_from, year_to, **more):
    return SearchRequest(
        q=keyword or "",
        filters={name: tuple(values) for name, values in filters.items()},
        year_from=year_from,
        year_to=year_to,
        **more,
    )


@pytest.mark.parametrize(("rows", "columns"), list(itertools.permutations(DIMENSIONS, 2)))
def test_cross_counts_match_brute_force_for_every_pair_of_dimensions(backend, corpus, rows, columns):
    for request in itertools.islice(
        random_requests(corpus, seed=DIMENSIONS.index(rows) * 10 + DIMENSIONS.index(columns)), 8
    ):
        found = backend.cross_counts(search_request(*request), rows, columns)
        assert dict(found.cells) == brute_cells(corpus, rows, columns, *request), request
        assert found.total == expected(corpus, *request)[0]
        assert (found.rows, found.columns) == (rows, columns)


def test_cross_counts_of_a_dimension_with_itself_is_its_facet(backend, corpus):
    found = backend.cross_counts(SearchRequest(), "region", "region")
    facet = Counter(value for meta in corpus for value in values_of(meta, "region"))
    assert {row: count for (row, column), count in found.cells.items() if row == column} == dict(facet)


def test_cross_counts_refuse_an_unknown_dimension(backend):
    with pytest.raises(ValueError, match="provider"):
        backend.cross_counts(SearchRequest(), "provider", "sector")


@pytest.mark.parametrize("sort", ["newest", "oldest", "title", "added", "relevance"])
def test_slugs_are_every_match_in_the_order_pages_walk(backend, corpus, sort):
    for request in itertools.islice(random_requests(corpus, seed=5), 10):
        everything = list(backend.slugs(search_request(*request, sort=sort)))
        assert sorted(everything) == sorted(meta["slug"] for meta in corpus if passes(meta, *request))
        paged = []
        for page in itertools.count(1):
            found = backend.search(search_request(*request, sort=sort, page=page, per_page=7))
            paged += [hit.slug for hit in found.hits]
            if not found.hits:
                break
        assert everything == paged


def test_slugs_ignore_the_page(backend):
    assert list(backend.slugs(SearchRequest(page=3, per_page=1))) == list(backend.slugs(SearchRequest()))


def test_generation_changes_when_documents_change_and_only_then(tmp_path, write):
    app = make_app(tmp_path)
    write("content/one.md")
    ingest_into(app, tmp_path / "content")
    backend = backend_of(app)
    before = backend.generation()
    assert before == backend.generation()
    write("content/two.md", slug="two", title="Another deliverable")
    ingest_into(app, tmp_path / "content")
    after = backend.generation()
    assert after != before
    assert backend.search(SearchRequest()).total == 2
    backend.close()


def test_check_dimension_is_the_one_check_of_a_dimension_name():
    from knowledgebase.search import check_dimension

    assert [check_dimension(name) for name in DIMENSIONS] == list(DIMENSIONS)
    with pytest.raises(ValueError, match="'sectors' is not a dimension; accepted: sector, legal_form"):
        check_dimension("sectors")
