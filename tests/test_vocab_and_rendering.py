"""Vocabularies (slugs, labels, aliases, case) and the sanitising of Markdown bodies."""

import pytest
from bs4 import BeautifulSoup

from knowledgebase.rendering import render_markdown
from knowledgebase.vocab import VOCABULARY_NAMES, VocabularyFileError, parse_vocabularies

CONTRACT_COUNTS = {
    "sector": 16,
    "legal_form": 11,
    "deliverable_type": 14,
    "programme": 6,
    "region": 10,
    "stage": 3,
}


def test_vocabularies_hold_the_contracts_values(vocabularies):
    assert {name: len(vocabularies[name].terms) for name in VOCABULARY_NAMES} == CONTRACT_COUNTS
    for vocabulary in vocabularies:
        for term in vocabulary.terms:
            assert term.label and term.description, term.slug


@pytest.mark.parametrize(
    ("name", "written", "slug"),
    [
        ("legal_form", "community-interest-company", "community-interest-company"),
        ("legal_form", "Community Interest Company", "community-interest-company"),
        ("legal_form", "CIC", "community-interest-company"),
        ("legal_form", "cic", "community-interest-company"),
        ("legal_form", "BenCom", "community-benefit-society"),
        ("legal_form", "teckal company", "local-authority-trading-company"),
        ("sector", "Children's services", "childrens-services"),
        ("sector", "Children\u2019s Services", "childrens-services"),
        ("programme", "MSP2", "mutuals-support-programme-2"),
        ("region", "  Yorkshire  and the  Humber ", "yorkshire-and-the-humber"),
    ],
)
def test_values_resolve_by_slug_label_or_alias_in_any_case(vocabularies, name, written, slug):
    assert vocabularies[name].resolve(written) == slug


def test_unknown_values_do_not_resolve(vocabularies):
    assert vocabularies["sector"].resolve("space exploration") is None
    assert vocabularies["sector"].resolve(None) is None
    assert vocabularies["sector"].label_for("youth-services") == "Youth services"


def test_malformed_vocabulary_file_is_a_clear_error():
    with pytest.raises(VocabularyFileError, match="missing vocabularies"):
        parse_vocabularies({"sector": {"values": []}})
    with pytest.raises(VocabularyFileError, match="slug and a label"):
        parse_vocabularies({name: {"values": [{"label": "x"}]} for name in VOCABULARY_NAMES})


UNSAFE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<div onclick="alert(1)" style="background:url(javascript:alert(1))">x</div>',
    '<iframe src="https://example.org"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<form action="https://evil.example"><input name=q></form>',
    "![x](javascript:alert(1))",
    "<style>body{display:none}</style>",
    '<object data="x.swf"></object>',
    '<a href="vbscript:msgbox(1)">x</a>',
]


@pytest.mark.parametrize("source", UNSAFE)
def test_unsafe_markup_never_survives(source):
    html = render_markdown(f"# Heading\n\n{source}\n\nAfter.").html
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find(["script", "iframe", "style", "form", "input", "object", "svg"])
    for tag in soup.find_all(True):
        for attribute, value in tag.attrs.items():
            assert not attribute.startswith("on"), html
            assert attribute != "style", html
            if attribute in ("href", "src"):
                assert value.split(":")[0].strip().lower() not in ("javascript", "data", "vbscript"), html
    assert "alert" not in soup.get_text() or "<script" not in html


def test_safe_links_and_markdown_features_are_kept():
    body = render_markdown(
        "# Title\n\n## Pensions and TUPE\n\n"
        "[GOV.UK](https://www.gov.uk) [mail](mailto:a@b.org) [rel](../x.md)\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```\ncode\n```\n"
    )
    soup = BeautifulSoup(body.html, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert hrefs == ["https://www.gov.uk", "mailto:a@b.org", "../x.md"]
    assert all("noopener" in a["rel"] for a in soup.find_all("a"))
    assert soup.find("table").find("td")["align"] == "left"
    assert soup.find("pre").find("code").get_text() == "code\n"
    assert not soup.find("h1"), "the page's title is its only h1"
    assert soup.find("h3")["id"] == "section-pensions-and-tupe"
    assert [(entry.level, entry.title) for entry in body.toc] == [(2, "Title"), (3, "Pensions and TUPE")]
    assert "Pensions and TUPE" in body.text and "<" not in body.text
