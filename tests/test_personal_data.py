"""The personal-data check: each rule, the labelled sets' floors, the sample content, `kb check`.

The labelled snippets (`tests/personal_data/labelled.yml`) were written before the rules and the
rules beside them; the held-out ones (`holdout.yml`) after the rules, never tuned against. Both
are measured by `scripts/personal_data_eval.py`, which these tests import.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import time

import pytest

from knowledgebase.personal_data import KINDS, Finding, scan

from .conftest import ROOT, SAMPLE_CONTENT


def _load_eval():
    spec = importlib.util.spec_from_file_location(
        "personal_data_eval", ROOT / "scripts" / "personal_data_eval.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


evaluation_script = _load_eval()
HOLDOUT = ROOT / "tests" / "personal_data" / "holdout.yml"


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in scan(text)]


# --- each kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Contact jane.holt@ashcombe.gov.uk for a copy.",
        "Email: D.Hughes@Westmoor-Council.GOV.UK.",
        "olu_adebayo+board@outlook.com",
        "<ruth.kemp@calderdale-arts.org>",
        "margaret.o'neill@fylde-care.org.uk",
        "jane.holt [at] ashcombe.gov.uk",
        "r.osei(at)lambourne-health.nhs.uk",
        "info@northdalemutual.org.uk",
    ],
)
def test_email_addresses_are_found(text):
    assert kinds(text) == ["email"]


@pytest.mark.parametrize(
    "text",
    ["Follow @KennetMusicCoop.", "Interest at 4% @ 12 months.", "jane at ashcombe dot gov dot uk", "joseph@"],
)
def test_not_email_addresses(text):
    assert kinds(text) == []


def test_shared_inboxes_are_flagged_gently():
    shared, personal = scan("Write to enquiries@brightpath.coop or to sam.whitlock@brightpath.coop.")
    assert "shared email address (enquiries@brightpath.coop)" in shared.message
    assert "check it is not a person's" in personal.message and "sam.whitlock@" in personal.excerpt


@pytest.mark.parametrize(
    "text",
    [
        "020 7946 0347",
        "(020) 7946 0347",
        "0207 946 0995",
        "020-7946-0347",
        "0113 496 0581",
        "(0161) 496 0234",
        "0117 4960 388",
        "01632 960412",
        "01632 960 412",
        "07700 900461",
        "07700900882",
        "07700-900-315",
        "07700 900 127",
        "+44 20 7946 0718",
        "+44 (0)113 496 0902",
        "+447700900274",
        "0044 161 496 0550",
        "0808 157 0192",
        "03069 990210",
        "028 9649 6531",
    ],
)
def test_uk_phone_numbers_are_found_in_their_usual_shapes(text):
    assert kinds(f"Call Sian on {text} today.") == ["phone"]
    assert kinds(text) == ["phone"]


@pytest.mark.parametrize(
    "text",
    [
        "company number 08123456",
        "charity number 1161234",
        "ISBN 978-0-11-702345-6",
        "Grant reference MSP2-0113-4960",
        "Contract ref 0113/4960/0581",
        "transfer date 01/04/2014",
        "dated 01.04.2014",
        "2014-2015 and 2015-2016",
        "02072 page views",
        "VAT number GB 123 4567 89",
        "0 1 1 3 4 9 6 0 5 8 1",
        "+1 212 555 0147",
        "0113 496 05811",
    ],
)
def test_not_phone_numbers(text):
    assert kinds(text) == []


def test_mobiles_are_named_as_such():
    (finding,) = scan("Mobile: 07700 900461")
    assert finding.message.startswith("looks like a UK mobile number (07700 900461)")


@pytest.mark.parametrize(
    "text",
    [
        "AB 12 34 56 C",
        "AB123456C",
        "ab123456c",
        "AB-12-34-56-C",
        "EH 510 362 B",
        "ce 55 67 01 a (from the form)",
    ],
)
def test_ni_numbers_are_found(text):
    assert kinds(f"NI number {text}") == ["ni_number"]


@pytest.mark.parametrize(
    "text",
    [
        "QQ 12 34 56 C",  # Q never starts one
        "DA 12 34 56 C",  # nor D
        "AO 12 34 56 C",  # O is never second
        "GB 12 34 56 A",
        "BG123456B",
        "NK 12 34 56 A",
        "KN 12 34 56 A",
        "TN 11 22 33 B",
        "NT 11 22 33 B",
        "ZZ 12 34 56 D",
        "AB 12 34 56 E",  # the suffix is A to D
        "AB 12 34 56",  # no suffix
        "IP031234R",  # a registered society's number
        "OC312345",  # an LLP's
        "Registered in Scotland as SC123456 A company limited by guarantee",
    ],
)
def test_not_ni_numbers(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "born 12 March 1961",
        "born on 2nd February 1958",
        "born on 5th of October 1972",
        "was born in June 1955",
        "DOB: 03/11/1974",
        "D.O.B. 21.09.1983",
        "d.o.b 7/5/79",
        "Date of birth 1968-07-14",
        "date of birth: 11th November 1982",
        "birth date, 30 Sept 1970",
        "(DOB 22-12-1960)",
        "born March 12, 1961",
        "19/08/1962 (aged 51)",
        "08.02.1990, aged 24",
        "14/07/1968 (date of birth)",
    ],
)
def test_dates_of_birth_are_found(text):
    assert kinds(f"Declan Hughes, {text}, Senior Practitioner") == ["date_of_birth"]


@pytest.mark.parametrize(
    "text",
    [
        "Staff transfer on 01/04/2014.",
        "This advice is dated 12 March 2014.",
        "Members born before 1 April 1960 keep their protected pension age.",
        "Members born on or after 6 April 1960 have a pension age equal to State Pension age.",
        "Those born between 6 April 1950 and 5 April 1960.",
        "Young people aged 16 to 25 will be supported from 1 September 2015.",
        "She was born in 1961.",
        "Collect each employee's date of birth for the actuary.",
        "The mutual was born out of the 2011 Pathfinder programme and began trading on 1 April 2013.",
    ],
)
def test_not_dates_of_birth(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Mrs Eileen Parkes, 14 Alder Grove, Harrogate HG1 4QX",
        "Ms R. Osei, 41 Lime Walk, Oxford OX3 7DQ",
        "Mr D. Hughes, 77 Station Road, Wigan, WN1 1XY",
        "Gareth Lloyd-Evans, Flat 2, 88 Castle Road, Cardiff CF10 1BH",
        "Margaret O'Neill, 2 Quay View, Lancaster LA1 1TZ",
        "Mr Tomasz Nowak\n27 Wharf Street\nLeeds\nLS2 7EQ",
        "LS2 7EQ is the home of Tomasz Nowak",
    ],
)
def test_postcodes_near_names_are_found(text):
    assert kinds(text) == ["postcode_near_name"]


@pytest.mark.parametrize(
    "text",
    [
        "The head office is at the Civic Centre, Silver Street, Enfield EN1 3XA.",
        "The Cabinet Office, 70 Whitehall, London SW1A 2AS, funded the programme.",
        "Lord Street, Southport PR8 1DA is the library's main site.",
        "Central Library, 555 Silbury Boulevard, Milton Keynes MK9 3HL",
        "West Yorkshire Pension Fund, PO Box 67, Bradford BD1 1UZ.",
        "Tomasz Nowak lives in LS2, near the office.",  # a district, not a full postcode
        "Eileen Parkes chaired the meeting.\n\nThe office is at 1 Victoria Square, Birmingham B1 1BD.",
    ],
)
def test_postcodes_without_a_person_are_left_alone(text):
    assert kinds(text) == []


def test_a_person_at_an_office_address_gets_the_gentler_message():
    (office,) = scan("Cllr Jane Hobbs, Civic Centre, Lord Street, Southport PR8 1DA")
    assert office.excerpt == "Cllr Jane Hobbs … PR8 1DA"
    assert "looks like an office" in office.message
    (home,) = scan("Mrs Eileen Parkes, 14 Alder Grove, Harrogate HG1 4QX")
    assert "someone's home address" in home.message


@pytest.mark.parametrize(
    "text",
    [
        "Eileen Parkes will transfer on her current salary of £34,500.",
        "| Priya Raman | Finance Manager | £41,200 |",
        "Declan Hughes earns £28.5k.",
        "Dr Hobbs is paid £95k as medical director.",
        "Mr Nowak's pay is 34,500 per annum.",
        "Fatima Khan (apprentice) £17,300 p.a.",
        "Sian Pritchard, Head of Service, GBP 61,400",
        "Salary: £52,000 (Margaret O'Neill, operations director)",
        "Mr Hughes is paid £14.20 per hour.",
    ],
)
def test_pay_near_names_is_found(text):
    assert kinds(text) == ["salary_near_name"]


@pytest.mark.parametrize(
    "text",
    [
        "The Chief Executive's salary will be benchmarked at £65,000.",
        "| Finance Manager | 1.0 FTE | £41,200 |",
        "Mutual Ventures received £45,000 for the business plan.",
        "Bevan Brittan LLP's fees of £18,000 were met by the programme.",
        "Anthony Collins Solicitors advised for a fee of £9,500.",
        "Leeds City Council will pay Eileen Parkes's team a fee of £2.8 million.",
        "Sarah Jones's unit has a budget of £1,200,000.",
        "Eileen Parkes chaired the meeting. The budget is £34,500 for the year.",
        "A staff member on £34,500 would pay £2,300 in contributions.",
    ],
)
def test_money_without_a_named_person_is_left_alone(text):
    assert kinds(text) == []


def test_findings_carry_kind_line_excerpt_and_message_in_order_of_line():
    text = (
        "---\ntitle: A plan\n---\n# Contacts\n\n"
        "Call Ruth Kemp on 01632 960 733 or ruth.kemp@calderdale-arts.org.\n"
        "\nHer NI number is AB 12 34 56 C.\n"
    )
    findings = scan(text)
    assert [(finding.kind, finding.line) for finding in findings] == [
        ("phone", 6),
        ("email", 6),
        ("ni_number", 8),
    ]
    assert findings[0] == Finding(
        "phone",
        6,
        "01632 960 733",
        "looks like a UK phone number (01632 960 733): check it is not a person's own number",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].line = 1  # type: ignore[misc]
    assert all(finding.kind in KINDS for finding in findings)


def test_every_occurrence_is_found_and_long_lines_take_linear_time():
    assert kinds("Eileen Parkes £1 " * 50) == ["salary_near_name"] * 50
    assert kinds("Mrs Eileen Parkes HG1 4QX; " * 50) == ["postcode_near_name"] * 50
    started = time.perf_counter()
    assert scan("£1 " * 20000 + "Eileen Parkes, 1 Elm Road, HG1 4QX " * 2000) != []
    assert time.perf_counter() - started < 10  # about 0.5s; it was minutes when windows were unbounded


def test_every_kind_has_a_label():
    assert set(KINDS) == {
        "email",
        "phone",
        "ni_number",
        "date_of_birth",
        "postcode_near_name",
        "salary_near_name",
    }
    assert all(label and label[0].isupper() for label in KINDS.values())


def test_empty_and_plain_text_have_no_findings():
    assert scan("") == []
    assert scan("# Executive summary\n\nStaff will transfer under TUPE and keep their pensions.\n") == []


# --- the labelled sets -------------------------------------------------------------------------


def test_labelled_set_is_big_enough_and_covers_every_kind():
    snippets = evaluation_script.load()
    assert len(snippets) >= 150
    for kind in KINDS:
        assert sum(kind in snippet["kinds"] for snippet in snippets) >= 15, kind
    assert sum(not snippet["kinds"] for snippet in snippets) >= 50


def test_labelled_set_floors():
    """The rules were written beside this set, so the figures are high (0.992 precision, 1.0
    recall on 2026-11-25); the floors leave room for a few misses, not for a broken rule."""
    evaluation = evaluation_script.evaluate(evaluation_script.load())
    assert evaluation.failing_recall(0.95) == [], evaluation.errors
    for kind in ("postcode_near_name", "salary_near_name"):
        assert evaluation.by_kind[kind].recall >= 0.9, evaluation.errors
    assert evaluation.overall.precision >= 0.95, evaluation.errors


def test_holdout_set_floors():
    """Written after the rules and measured once before any change: precision and recall 0.931
    overall (29 labelled kinds in 50 snippets). Floors a little below, so it cannot quietly worsen."""
    evaluation = evaluation_script.evaluate(evaluation_script.load(HOLDOUT))
    assert evaluation.failing_recall(0.9) == [], evaluation.errors
    assert evaluation.overall.precision >= 0.9, evaluation.errors
    assert evaluation.overall.recall >= 0.85, evaluation.errors


def test_eval_script_prints_the_table_and_fails_when_recall_drops(tmp_path, capsys):
    assert evaluation_script.main([]) == 0
    out = capsys.readouterr().out
    assert "| kind | labelled | found | TP | FP | FN | precision | recall |" in out
    assert "| overall |" in out and "| ni_number |" in out
    missed = tmp_path / "missed.yml"
    missed.write_text(
        "snippets:\n"
        "  - {text: 'call 07700 900461', kinds: [phone]}\n"
        "  - {text: 'it is labelled a phone but has none', kinds: [phone]}\n",
        encoding="utf-8",
    )
    assert evaluation_script.main([str(missed)]) == 1
    assert "recall below 0.9 for: phone" in capsys.readouterr().err


def test_eval_script_refuses_unknown_kinds(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("snippets:\n  - {text: 'x', kinds: [shoe_size]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="shoe_size"):
        evaluation_script.load(bad)


# --- the sample content ------------------------------------------------------------------------

#: Findings in the sample content, each looked at by a person: (file, line, kind) and why.
EXPECTED_IN_SAMPLE_CONTENT = {
    # "... open to employees ... and to any adult who lives, works or studies in the Taunton Deane
    # area, at a minimum shareholding of £1": a district taken for a person's name, next to the
    # price of a share. A false alarm, kept so that a new finding in the samples is noticed.
    ("taunton-deane-libraries-community-benefit-society-business-plan-2016.md", 49, "salary_near_name"),
}


def test_sample_content_has_no_personal_data_beyond_the_known_false_alarms():
    found = {
        (path.name, finding.line, finding.kind)
        for path in sorted(SAMPLE_CONTENT.glob("*.md"))
        for finding in scan(path.read_text(encoding="utf-8"))
    }
    assert found == EXPECTED_IN_SAMPLE_CONTENT


# --- kb check ----------------------------------------------------------------------------------


def test_cli_check_warns_of_likely_personal_data_without_failing(runner, write):
    body = (
        "# Contacts\n\nFor the transfer, call Ruth Kemp on 020 7946 0123.\n\n"
        "Her National Insurance number is AB 12 34 56 C.\n"
    )
    path = write("contacts.md", body=body)
    write("clean.md")
    result = runner.invoke(args=["check", str(write.folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    phone_line = (
        path.read_text(encoding="utf-8")
        .splitlines()
        .index("For the transfer, call Ruth Kemp on 020 7946 0123.")
    )
    assert (
        f"warning {path}:{phone_line + 1}: looks like a UK phone number (020 7946 0123): "
        "check it is not a person's own number"
    ) in lines
    assert any(line.startswith(f"warning {path}:{phone_line + 3}: looks like a National") for line in lines)
    assert "2 warnings: likely personal data; check before publishing" in lines
    assert "clean.md" not in result.output
    assert "2 checked, 0 rejected" in lines[-1]


def test_cli_check_warnings_do_not_hide_rejections(runner, write):
    write("contacts.md", body="Call 07700 900461.\n")
    write("bad.md", region="atlantis")
    result = runner.invoke(args=["check", str(write.folder)])
    assert result.exit_code == 1, result.output
    assert "1 warning: likely personal data; check before publishing" in result.output
    assert "rejected " in result.output and "1 checked, 1 rejected" in result.output


def test_check_reports_warnings_only_for_files_that_parse(write, vocabularies):
    from knowledgebase.ingest import check

    write("broken.md", body="Call 07700 900461.\n", region="atlantis")
    good = write("good.md", body="Call 07700 900462.\n")
    report = check([write.folder], vocabularies)
    assert [(warning.path, warning.kind) for warning in report.warnings] == [(str(good), "phone")]
    assert str(report.warnings[0]).startswith(f"{good}:")
    assert report.rejected[0].warnings == []


def test_ingest_does_not_scan(app, write):
    from .conftest import ingest_into

    write("contacts.md", body="Call 07700 900461.\n")
    report = ingest_into(app, write.folder)
    assert report.ok and report.warnings == []
