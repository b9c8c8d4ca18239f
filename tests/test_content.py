"""Parsing and validating one deliverable file: what is accepted, and every kind of rejection."""

import datetime as dt

import pytest

from knowledgebase.content import parse_file

from .conftest import deliverable_text


def errors_of(result):
    return [(error.key, error.line) for error in result.errors]


def test_valid_file_is_parsed_with_slugs_resolved(write, vocabularies):
    path = write("knowsley-youth-2013.md")
    result = parse_file(path, vocabularies)
    assert result.ok, result.errors
    data = result.deliverable
    assert data.slug == "knowsley-youth-2013"
    assert data.sector == ("youth-services",)
    assert data.published == dt.date(2013, 2, 15)
    assert data.award_value == 93000
    assert data.licence == "OGL-3.0"
    assert data.provider == ("Mutual Ventures",)
    assert "TUPE" in data.body.text
    assert len(data.content_hash) == 64


def test_labels_aliases_and_any_case_are_accepted(write, vocabularies):
    path = write(
        "a.md",
        sector="YOUTH SERVICES",
        legal_form=["cic", "Community Benefit Society"],
        deliverable_type="tupe",
        programme="msp2",
        region="North West",
        stage="Spinning out",
    )
    data = parse_file(path, vocabularies).deliverable
    assert data.sector == ("youth-services",)
    assert data.legal_form == ("community-interest-company", "community-benefit-society")
    assert data.deliverable_type == "hr-and-tupe"
    assert data.programme == "mutuals-support-programme-2"
    assert (data.region, data.stage) == ("north-west", "spinning-out")


def test_single_values_may_be_written_without_a_list(write, vocabularies):
    data = parse_file(
        write("a.md", sector="libraries", provider="Baxendale", legal_form="CIO"), vocabularies
    ).deliverable
    assert data.sector == ("libraries",)
    assert data.provider == ("Baxendale",)
    assert data.legal_form == ("charitable-incorporated-organisation",)


def test_slug_key_overrides_file_name(write, vocabularies):
    assert (
        parse_file(write("Odd Name.md", slug="proper-slug"), vocabularies).deliverable.slug == "proper-slug"
    )


def test_optional_keys_may_be_left_out(write, vocabularies):
    result = parse_file(
        write("a.md", drop=("programme", "stage", "region", "award_value", "tags")), vocabularies
    )
    assert result.ok
    assert result.deliverable.programme is None and result.deliverable.tags == ()


@pytest.mark.parametrize(
    "key",
    ["title", "summary", "organisation", "sector", "legal_form", "deliverable_type", "provider", "published"],
)
def test_missing_required_key_is_named(write, vocabularies, key):
    result = parse_file(write("a.md", drop=(key,)), vocabularies)
    assert not result.ok
    assert [error.key for error in result.errors] == [key]
    assert "required" in result.errors[0].message


@pytest.mark.parametrize(
    ("key", "value", "expected_in_message"),
    [
        ("sector", ["youth-servces"], "did you mean 'youth-services'"),
        ("legal_form", ["plc"], "community-interest-company"),
        ("deliverable_type", "brochure", "business-plan"),
        ("programme", "msp9", "mutuals-support-programme"),
        ("region", "scotland", "north-east"),
        ("stage", "finished", "exploring"),
    ],
)
def test_unknown_vocabulary_value_names_key_line_and_accepted_values(
    write, vocabularies, key, value, expected_in_message
):
    path = write("a.md", **{key: value})
    result = parse_file(path, vocabularies)
    assert [error.key for error in result.errors] == [key]
    error = result.errors[0]
    assert expected_in_message in error.message
    line = path.read_text().splitlines()[error.line - 1]
    assert line.startswith(f"{key}:")
    assert str(path) in str(error) and f":{error.line}:" in str(error)


@pytest.mark.parametrize("value", ["2013-13-45", "2013-02-30", "15/02/2013", "2013", "soon"])
def test_bad_dates_are_published_errors(write, vocabularies, value):
    result = parse_file(write("a.md", published=value), vocabularies)
    assert [error.key for error in result.errors] == ["published"]
    assert "YYYY-MM-DD" in result.errors[0].message


@pytest.mark.parametrize("value", [-5, "93,000", "£93000", 12.5, True])
def test_award_value_must_be_whole_pounds(write, vocabularies, value):
    result = parse_file(write("a.md", award_value=value), vocabularies)
    assert [error.key for error in result.errors] == ["award_value"]


def test_too_long_title_and_summary(write, vocabularies):
    result = parse_file(write("a.md", title="x" * 201, summary="y" * 601), vocabularies)
    assert sorted(error.key for error in result.errors) == ["summary", "title"]
    assert "at most 200" in next(e.message for e in result.errors if e.key == "title")


def test_deliverable_type_takes_exactly_one_value(write, vocabularies):
    result = parse_file(write("a.md", deliverable_type=["business-plan", "pensions"]), vocabularies)
    assert [error.key for error in result.errors] == ["deliverable_type"]
    assert "exactly one" in result.errors[0].message


def test_unknown_key_suggests_the_right_one(write, vocabularies):
    path = write("a.md", raw=deliverable_text().replace("sector:", "sectors:"))
    result = parse_file(path, vocabularies)
    keys = {error.key: error.message for error in result.errors}
    assert "did you mean 'sector'" in keys["sectors"]
    assert "required" in keys["sector"]


def test_duplicate_key_is_an_error(write, vocabularies):
    text = deliverable_text().replace("region: north-west\n", "region: north-west\nregion: london\n")
    result = parse_file(write("a.md", raw=text), vocabularies)
    assert [error.key for error in result.errors] == ["region"]
    assert "twice" in result.errors[0].message


def test_non_utf8_file_is_rejected_with_the_line(write, vocabularies):
    raw = deliverable_text().encode("utf-8") + "Café".encode("latin-1")
    result = parse_file(write("a.md", raw=raw), vocabularies)
    assert len(result.errors) == 1
    assert "UTF-8" in result.errors[0].message
    assert result.errors[0].line == deliverable_text().count("\n") + 1


def test_file_without_front_matter(write, vocabularies):
    result = parse_file(write("a.md", raw="# Just a heading\n"), vocabularies)
    assert "front matter" in result.errors[0].message and result.errors[0].line == 1


def test_unclosed_front_matter(write, vocabularies):
    result = parse_file(write("a.md", raw="---\ntitle: x\n# body\n"), vocabularies)
    assert not result.ok and "front matter" in result.errors[0].message


def test_invalid_yaml_reports_its_line(write, vocabularies):
    text = deliverable_text().replace("stage: exploring", "stage: [exploring")
    result = parse_file(write("a.md", raw=text), vocabularies)
    assert "not valid YAML" in result.errors[0].message
    assert result.errors[0].line is not None


def test_front_matter_must_be_a_mapping(write, vocabularies):
    result = parse_file(write("a.md", raw="---\n- a\n- b\n---\nbody\n"), vocabularies)
    assert "mapping" in result.errors[0].message


def test_empty_body_is_an_error(write, vocabularies):
    result = parse_file(write("a.md", body="\n  \n"), vocabularies)
    assert [error.key for error in result.errors] == ["body"]


@pytest.mark.parametrize(
    ("name", "slug"), [("Bad Name.md", None), ("ok.md", "Not A Slug"), ("nl\n.md", None)]
)
def test_bad_slugs(write, vocabularies, name, slug):
    changes = {"slug": slug} if slug else {}
    result = parse_file(write(name, **changes), vocabularies)
    assert not result.ok and "slug" in str(result.errors[0])


def test_all_errors_of_a_file_are_reported_together(write, vocabularies):
    result = parse_file(
        write("a.md", published="2013-13-45", sector=["nowhere"], region="mars", drop=("title",)),
        vocabularies,
    )
    assert sorted(error.key for error in result.errors) == ["published", "region", "sector", "title"]


def test_text_values_must_be_text(write, vocabularies):
    result = parse_file(write("a.md", organisation={"name": "x"}, provider=[["nested"]]), vocabularies)
    assert sorted(error.key for error in result.errors) == ["organisation", "provider"]


def test_byte_order_mark_is_accepted(write, vocabularies):
    result = parse_file(write("a.md", raw="\ufeff" + deliverable_text()), vocabularies)
    assert result.ok, result.errors


@pytest.mark.parametrize(("key", "value"), [("title", "A\x01title"), ("provider", ["Good", "Bad\x7f"])])
def test_control_characters_are_refused(write, vocabularies, key, value):
    result = parse_file(write("ctl.md", **{key: value}), vocabularies)
    assert not result.ok
    assert [error.key for error in result.errors] == [key]
    assert "control character" in result.errors[0].message
