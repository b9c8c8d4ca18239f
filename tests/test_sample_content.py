"""The sample content is valid, large enough to explore, and covers every vocabulary value."""

from knowledgebase.ingest import check
from knowledgebase.search import SearchRequest
from knowledgebase.vocab import VOCABULARY_NAMES

from .conftest import SAMPLE_CONTENT, backend_of


def test_every_sample_file_is_valid(vocabularies):
    report = check([SAMPLE_CONTENT], vocabularies)
    assert report.ok, [str(error) for outcome in report.rejected for error in outcome.errors]
    assert report.count("checked") >= 40


def test_sample_covers_every_vocabulary_value(sample_app, vocabularies):
    facets = backend_of(sample_app).search(SearchRequest()).facets
    for name in VOCABULARY_NAMES:
        present = {item.value for item in facets[name] if item.count}
        assert present == set(vocabularies[name].slugs), (name, set(vocabularies[name].slugs) - present)


def test_sample_bodies_are_of_realistic_length():
    for path in SAMPLE_CONTENT.glob("*.md"):
        assert len(path.read_text(encoding="utf-8").split()) >= 400, path.name
