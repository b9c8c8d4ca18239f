"""Flag likely personal data in a deliverable's text before it is published.

`scan(text)` runs one small rule per kind of personal data and answers `Finding`s in order of
line. The rules are regular expressions and word lists, no model: they flag what an editor should
look at, and say why in plain English; they decide nothing. Each rule's docstring says what it
catches and what it deliberately leaves alone. `KINDS` gives each kind a label for people.

A person's name, for the kinds that need one nearby (`_names`), is either a title and a
capitalised word ("Mrs Parkes", "Cllr J. Hobbs") or a run of two or three capitalised words
("Eileen Parkes", "Gareth Lloyd-Evans") none of which is a word organisations, places, roles,
headings or dates are made of ("Cabinet Office", "Finance Manager", "Civic Centre", "Anthony
Collins Solicitors", "Bevan Brittan LLP").

Measured against the invented, labelled snippets in `tests/personal_data/labelled.yml` by
`scripts/personal_data_eval.py`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: Every kind of finding, with its label for people.
KINDS: dict[str, str] = {
    "email": "Email address",
    "phone": "UK phone number",
    "ni_number": "National Insurance number",
    "date_of_birth": "Date of birth",
    "postcode_near_name": "Postcode near a person's name",
    "salary_near_name": "Pay near a person's name",
}

#: How much of the matched text a finding quotes.
EXCERPT_LENGTH = 80


@dataclass(frozen=True)
class Finding:
    """One piece of text that looks like personal data."""

    kind: str  # a key of KINDS
    line: int  # 1-based line of the text
    excerpt: str  # the matched text, shortened
    message: str  # plain English for an editor, quoting the excerpt


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    excerpt: str
    message: str


def scan(text: str) -> list[Finding]:
    """Everything in `text` that looks like personal data, in order of line (then of place)."""
    hits = sorted(
        (hit for rule in RULES for hit in rule(text)),
        key=lambda hit: (hit.start, list(KINDS).index(hit.kind)),
    )
    return [Finding(hit.kind, text.count("\n", 0, hit.start) + 1, hit.excerpt, hit.message) for hit in hits]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


# --- email -------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+'-])(?P<local>[A-Za-z0-9][\w.%+'-]*)"
    r"(?:@|[ \t]*[\[(]at[\])][ \t]*)"
    r"(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,})\b",
    re.IGNORECASE,
)
#: The start of a shared inbox's address: an organisation's, not a person's.
SHARED_INBOXES = frozenset(
    """info enquiries enquiry hello contact contactus office admin reception team support help
    helpdesk helpline mail post press media comms communications marketing hr personnel recruitment
    jobs careers finance accounts payroll pensions governance company.secretary secretary board
    members membership mutual mutuals mutualproject project projects mentoring bookings booking
    foi dpo dataprotection complaints feedback consultation tenders procurement noreply no-reply
    customerservices customer.services general""".split()
)


def _emails(text: str) -> Iterator[_Hit]:
    """Email addresses, including the `name [at] example.org` and `name(at)example.org` forms.

    Shared inboxes (info@, enquiries@, hr@, ... in `SHARED_INBOXES`) are still flagged, with a
    gentler message: they are usually fine to publish. Social media handles (`@KennetMusic`)
    and `4% @ 12 months` are not addresses and are left alone; so is `name at example dot org`.
    """
    for match in _EMAIL.finditer(text):
        address = match.group(0)
        local = match.group("local").lower().split("+")[0]
        if local in SHARED_INBOXES:
            message = f"looks like a shared email address ({address}): fine if it is an organisation's inbox"
        else:
            message = (
                f"looks like an email address ({address}): check it is not a person's, "
                "or that they agreed to it being published"
            )
        yield _Hit("email", match.start(), _short(address), message)


# --- phone -------------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.,-])"
    r"(?:(?:\+|00)[ ]?44[ ]?(?:\(0\)[ ]?)?|\(?0)"
    r"\d[\d() -]{7,15}\d"
    r"(?![\w/]|[-.,]\d)"
)


def _phones(text: str) -> Iterator[_Hit]:
    """UK phone numbers: landlines (020 7946 0123, (0113) 496 0123, 01632 960123), mobiles
    (07700 900123, 07700-900-123, 07700900123), +44 and 0044 forms (+44 (0)20 7946 0123), and
    non-geographic numbers (0300, 0800, 0808, 09). Spaces, brackets and hyphens may separate
    groups of digits.

    Switchboards and helplines are flagged too: the rule cannot tell them from a person's line.
    Not caught, on purpose: numbers split by dots or slashes (dates, references like
    0113/4960/0581), numbers glued to other tokens (ISBN 978-0-11-702345-6, MSP2-0113-4960),
    company and charity numbers (too few digits), and foreign numbers.
    """
    for match in _PHONE.finditer(text):
        number = match.group(0)
        digits = re.sub(r"\D", "", number)
        if digits.startswith("0044"):
            national = digits[4:]
        elif number.startswith("+"):
            national = digits[2:]
        else:
            national = digits[1:]
        if national.startswith("0") and "(0)" in number:
            national = national[1:]
        if not (len(national) == 10 or (len(national) == 9 and national[0] in "18")):
            continue
        if national[0] not in "1235789":
            continue
        groups = re.findall(r"\d+", number.replace("(0)", ""))
        if any(len(group) < 2 for group in groups[1:]) or len(groups) > 5:
            continue
        what = "a UK mobile number" if national.startswith("7") else "a UK phone number"
        yield _Hit(
            "phone",
            match.start(),
            _short(number),
            f"looks like {what} ({number}): check it is not a person's own number",
        )


# --- National Insurance number -----------------------------------------------------------------

_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<prefix>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r"[ -]?(?:\d{2}[ -]?\d{2}[ -]?\d{2}|\d{3}[ -]?\d{3})"
    r"(?P<gap>[ -]?)(?P<suffix>[A-D])"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
#: Prefixes HMRC never issues (besides those with D, F, I, Q, U, V, or O second).
INVALID_NI_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def _ni_numbers(text: str) -> Iterator[_Hit]:
    """National Insurance numbers: two letters, six digits, a suffix A to D, with or without
    spaces or hyphens (AB 12 34 56 C, AB123456C, ab-12-34-56-c, AB 123 456 C), in any case.

    Follows HMRC's prefix rules: the first letter is not D, F, I, Q, U or V, the second not D, F,
    I, O, Q, U or V, and BG, GB, NK, KN, TN, NT and ZZ are never issued, so the example QQ 12 34 56 C
    and temporary TN numbers are left alone. A Scottish company number followed by the article
    ("SC123456 A company ...") is not a NI number; a NI number without its suffix is not caught.
    """
    for match in _NI_NUMBER.finditer(text):
        if match.group("prefix").upper() in INVALID_NI_PREFIXES:
            continue
        after = text[match.end() : match.end() + 2]
        if match.group("gap") and match.group("suffix") in "Aa" and re.match(r" [a-z]", after):
            continue  # "... SC123456 A company limited by guarantee"
        yield _Hit(
            "ni_number",
            match.start(),
            _short(match.group(0)),
            f"looks like a National Insurance number ({match.group(0)}): never publish one",
        )


# --- date of birth -----------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)"  # 12/03/1961, 7/5/79, 12.03.1961, 22-12-1960
    r"|\d{4}-\d{2}-\d{2}"  # 1961-03-12
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:[ ]+of)?[ ]+{_MONTH},?[ ]+\d{{4}}"  # 12 March 1961, 5th of Oct 1972
    rf"|{_MONTH}[ ]+\d{{1,2}}(?:st|nd|rd|th)?,?[ ]+\d{{4}}"  # March 12, 1961
    rf"|{_MONTH}[ ]+\d{{4}})"  # March 1961
)
_BIRTH_CUE = (
    r"(?:\bborn\b(?![ ]+(?:before|after|between|since|until|on[ ]+or|in[ ]+or|from))"
    r"|\bd\.?o\.?b\b\.?|\bdate[ ]+of[ ]+birth\b|\bbirth[ ]?date\b|\bbirthday\b)"
)
_DATE_OF_BIRTH = re.compile(
    rf"{_BIRTH_CUE}[^\n]{{0,20}}?(?<![\w/.-])(?P<date>{_DATE})"
    rf"|(?<![\w/.-])(?P<date2>{_DATE})[ ]*[,(]?[ ]*\(?(?:aged[ ]+\d{{1,3}}\b|dob\b|date[ ]+of[ ]+birth\b)",
    re.IGNORECASE,
)


def _dates_of_birth(text: str) -> Iterator[_Hit]:
    """A date a few words after "born", "DOB", "D.O.B.", "date of birth" or "birth date", or a
    date followed by "(aged 51)" or "(DOB)", in the common UK forms: 12/03/1961, 7/5/79,
    12.03.1961, 1961-03-12, 12 March 1961, 2nd Feb 1958, March 12, 1961, and March 1961.

    Left alone: dates with no such words next to them (advice dates, transfer dates, "01/04/2014
    transfer date"), ages without a date ("aged 16 to 25"), a year alone ("born in 1961"), and
    rules about a cohort ("members born before 1 April 1960", "born on or after ...").
    An organisation "born on 1 April 2013" is flagged: the rule cannot tell it from a person.
    """
    for match in _DATE_OF_BIRTH.finditer(text):
        date = match.group("date") or match.group("date2")
        yield _Hit(
            "date_of_birth",
            match.start(),
            _short(match.group(0)),
            f"looks like a date of birth ({date}): remove it, or give an age band instead",
        )


# --- names -------------------------------------------------------------------------------------

_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Cllr|Councillor|Prof|Professor|Sir|Dame|Revd|Rev|Lord|Lady)"
_WORD = r"(?:O['’]|Mc|Mac)?[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*"
_TITLED_NAME = re.compile(
    rf"\b{_TITLE}\b\.?[ \t]+(?:[A-Z]\.?[ \t]+){{0,2}}(?P<forename>{_WORD})(?:[ \t]+(?P<surname>{_WORD}))?"
)
_CAPITALISED_RUN = re.compile(rf"\b{_WORD}(?:[ \t]+(?:[A-Z]\.?[ \t]+)?{_WORD})*")
#: Written right after a run of capitalised words, it makes them an organisation's name.
_ORGANISATION_SUFFIX = re.compile(r"[ \t]+(?:LLP|LLC|Ltd|PLC|plc|CIC|CIO|CBS|UK|NHS|&)(?!\w)")
_NEXT_WORD = re.compile(rf"[ \t]+({_WORD})")

#: Words at the start of a run that are not part of a name ("Contact Sian Pritchard").
LEADING_WORDS = frozenset(
    """The A An This That These Those Our Your Their His Her Its My We In On At For From To By With
    Of And Or But If When Where While As After Before During Since Until Unless Although Because
    Contact Call Ring Phone Email Write Send Return Please Dear Ask Copy Thank Thanks Let See
    Member Employee Staff Notices Correspondence Tel Mobile Salary Address Registered Name Chair
    Director Record Objector Applicant Claimant Respondent Signed Agreed Prepared Reviewed Approved
    Author Authors Contributor Sponsor Lead Attendees Present Apologies Mentor Mentee Adviser
    Advisor Interviewee Interviewer Councillor Cllr Witness Both Each Every All Some Many Most
    Only Also Then Here There Today Yesterday Tomorrow""".split()
)
#: Words that make a run of capitalised words an organisation, place, building, role, heading or
#: date rather than a person ("Cabinet Office", "Finance Manager", "Executive Summary").
NOT_NAME_WORDS = frozenset(
    """Council Councils Borough County City Town District Parish Metropolitan Combined Authority
    Authorities Government Department Ministry Office Offices Cabinet Treasury Parliament Commission
    Agency Executive Service Services Trust Trusts Foundation Fund Funds Scheme Schemes Pension
    Pensions Programme Programmes Project Projects Partnership Partnerships Network Association
    Federation Alliance Union Unions Society Societies Co-operative Cooperative Co-op Mutual
    Mutuals Company Companies Limited Ltd Group Holdings Ventures Enterprises Enterprise Solutions
    Consulting Consultancy Consultants Associates Partners Solicitors Solicitor Lawyers Law Legal
    Accountants Actuaries Actuarial Bank Fellowship Institute Academy College University School
    Schools Library Libraries Museum Museums Gallery Theatre Centre Centres Center Hall House Court
    Chambers Buildings Building Tower Square Street Road Lane Avenue Way Drive Close Crescent Grove
    Terrace Gardens Garden Park Place Walk Rise Hill View Green Row Parade Boulevard Wharf Quay
    Quays Gate Bridge Side Mews Yard Estate Industrial Business Unit Floor Suite Station Market
    Hospital Clinic Surgery Practice Health Care Social Public Local Community Communities
    Children Children's Youth Adult Adults Family Families Learning Education Skills Training
    Employment Housing Probation Justice Fire Rescue Police Leisure Sport Sports Culture Cultural
    Heritage Arts Music Kitchen Café Cafe Bakery Shop Stores Hub Quarter Exchange Works Mill
    United Kingdom England Wales Scotland Ireland Britain British English Welsh Scottish Europe
    European North South East West Northern Southern Eastern Western Greater Central Upper Lower
    Great Little Old New Royal Kings Queens St Saint National Regional International
    Chief Head Deputy Assistant Senior Principal Manager Managers Director Directors Officer
    Officers Leader Lead Worker Workers Practitioner Coordinator Co-ordinator Administrator
    Secretary Treasurer Trustee Trustees Governor Governors Member Members Board Boards Committee
    Chair Chairman Chairperson Finance Financial Operations Strategy Strategic Development
    Commercial Marketing Human Resources Payroll Support Team Teams Staff Employee Employees
    Ownership Nurse Nurses Nursing Therapist Therapy Librarian Clerk Accountant Auditor Analyst
    Executive's Summary Introduction Background Conclusion Conclusions Recommendation
    Recommendations Appendix Annex Schedule Section Part Chapter Table Figure Contents Overview
    Risk Risks Options Option Plan Plans Business Model Budget Income Costs Cost Surplus Deficit
    Year Years Phase Stage Band Grade Total Net Gross Annual Monthly Value Contract Contracts
    Agreement Act Regulations Regulation Rules Order Guidance Policy Standard Standards Framework
    January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Spring Summer Autumn Winter
    Pathfinder Mutuals Support Right Request Transfer Undertakings Protection Agenda Change Living
    Wage Real Lottery Big Gift Aid Tax Relief Open Licence Creative Commons Attribution
    Tel Email Mobile Phone Fax Website Web Address
    Postcode Registered Number Contact Date Name Role Salary Pay""".split()
)
#: Words near a postcode that say the address is an office or public building.
OFFICE_WORDS = re.compile(
    r"\b(?:Civic|Council|Offices?|Town Hall|County Hall|City Hall|Guildhall|House|Unit|Centre|Center|"
    r"Chambers|Court|Library|Hospital|School|College|Business Park|Enterprise|PO Box|Suite|Floor)\b"
)


@dataclass(frozen=True)
class _Name:
    start: int
    end: int
    text: str
    titled: bool = False


def _names(text: str) -> list[_Name]:
    """What looks like a person's name: a title and a (possibly initialled) surname, or a run of
    two or three capitalised words with none of `NOT_NAME_WORDS` in it, after dropping leading
    `LEADING_WORDS`, and not followed by an organisation's suffix (LLP, Ltd, CIC, ...).

    One capitalised word alone ("Gareth") is not a name here: too many ordinary words start
    sentences. Names of organisations made of people's names ("Bevan Brittan") are caught
    only when a suffix or an organisation word follows them.
    """
    names: list[_Name] = []
    for match in _TITLED_NAME.finditer(text):
        end = match.end()
        if match.group("surname") and _bare(match.group("surname")) in NOT_NAME_WORDS:
            end = match.end("forename")  # "Dr Hobbs Medical Director": the name is "Dr Hobbs"
        if _bare(match.group("forename")) in NOT_NAME_WORDS or _followed_by_organisation(text, end):
            continue
        names.append(_Name(match.start(), end, text[match.start() : end], titled=True))
    titled = list(names)
    titled_starts = [name.start for name in titled]
    for match in _CAPITALISED_RUN.finditer(text):
        # Skip a run that overlaps a titled name (the name has it already).
        index = bisect_left(titled_starts, match.start())
        if index < len(titled) and titled[index].start < match.end():
            continue
        if index and titled[index - 1].end > match.start():
            continue
        words = list(re.finditer(rf"{_WORD}|[A-Z]\.?", match.group(0)))
        while words and words[0].group(0) in LEADING_WORDS:
            words.pop(0)
        named = [word.group(0) for word in words if len(word.group(0).rstrip(".")) > 1]
        if not 2 <= len(named) <= 3 or any(_bare(word) in NOT_NAME_WORDS for word in named):
            continue
        if _followed_by_organisation(text, match.end()):
            continue
        start = match.start() + words[0].start()
        names.append(_Name(start, match.end(), text[start : match.end()]))
    return sorted(names, key=lambda name: name.start)


def _names_between(names: list[_Name], starts: list[int], low: int, high: int) -> list[_Name]:
    """The names (sorted by start, with `starts` their starts) that start in [low, high)."""
    return names[bisect_left(starts, low) : bisect_left(starts, high)]


def _bare(word: str) -> str:
    """A word without a possessive: "Parkes's" -> "Parkes", "Executive's" stays (listed)."""
    return re.sub(r"['’]s$", "", word) if word not in NOT_NAME_WORDS else word


def _followed_by_organisation(text: str, end: int) -> bool:
    """Whether an organisation's suffix (LLP, Ltd, ...) or word (Hall, Solicitors, ...) follows."""
    if _ORGANISATION_SUFFIX.match(text, end):
        return True
    following = _NEXT_WORD.match(text, end)
    return following is not None and _bare(following.group(1)) in NOT_NAME_WORDS


# --- postcode near a name ----------------------------------------------------------------------

_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
#: How far before a postcode (across lines) and after it (on its line) a name may be.
POSTCODE_NAME_BEFORE = 160
POSTCODE_NAME_AFTER = 60
#: The town written just before a postcode ("Milton Keynes MK9 3HL"): not a name.
_TOWN_BEFORE = re.compile(rf"((?:{_WORD}[ \t]+)*{_WORD})[ \t,]*\n?[ \t]*$")


def _postcodes_near_names(text: str) -> Iterator[_Hit]:
    """A full UK postcode (HG1 4QX, SW1A 2AS, M1 7HE) with what looks like a person's name
    within `POSTCODE_NAME_BEFORE` characters before it (across the lines of an address block) or
    `POSTCODE_NAME_AFTER` after it on its line: most likely someone's address.

    Decided: a postcode with no name near it (an office, a council building, a registered office)
    is not flagged at all; a name near an address that looks like an office (Civic Centre, Town
    Hall, Unit 4, ...) is flagged with a gentler message, since a councillor's or officer's work
    address in their public role is usually fine. The words just before the postcode are taken for
    its town ("Milton Keynes MK9 3HL"), never for a name, unless they start with a title
    ("Eileen Parkes, HG1 4QX" is missed; "Mrs Eileen Parkes, HG1 4QX" is not). Partial postcodes
    (LS2, "the HG1 area") are left alone.
    """
    names = _names(text)
    starts = [name.start for name in names]
    for match in _POSTCODE.finditer(text):
        start, end = match.span()
        before_from = max(0, start - POSTCODE_NAME_BEFORE)
        blank = text.rfind("\n\n", before_from, start)
        if blank != -1:
            before_from = blank
        after_to = min(end + POSTCODE_NAME_AFTER, len(text))
        line_end = text.find("\n", end, after_to)
        if line_end != -1:
            after_to = line_end
        town = _TOWN_BEFORE.search(text, before_from, start)
        town_words = set(town.group(1).split()) if town else set()
        near = [
            name
            for name in _names_between(names, starts, before_from, after_to)
            if name.end <= start or end <= name.start
            if name.titled or not set(name.text.split()) <= town_words
        ]
        if not near:
            continue
        name = min(near, key=lambda name: abs(name.start - start))
        between = text[min(name.end, start) : max(name.start, end)]
        quoted = f"{_short(name.text)} … {match.group(0)}"
        if OFFICE_WORDS.search(between):
            message = (
                f"a postcode near what looks like a person's name ({quoted}): the address looks like "
                "an office; fine if it is their work address in a public role"
            )
        else:
            message = (
                f"a postcode near what looks like a person's name ({quoted}): check it is not "
                "someone's home address"
            )
        yield _Hit("postcode_near_name", start, quoted, message)


# --- pay near a name ---------------------------------------------------------------------------

_MONEY = re.compile(
    r"(?:£|\bGBP[ ]?)(?P<amount>(?>\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?+)(?P<k>[ ]?k\b)?"
    r"(?![ ]?(?:m|mn|bn|million|billion)\b)"
    r"|(?<![\w£.,])(?P<annual>\d{1,3}(?:,\d{3})+)(?=[ ]?(?:per[ ]annum|p\.?a\b|a[ ]year|per[ ]year))",
    re.IGNORECASE,
)
#: Amounts from this many pounds are budgets, contracts and turnover, not a person's pay.
MONEY_TOO_LARGE = 1_000_000
#: How far before (or after) an amount, on its line and in its sentence, a name may be.
SALARY_NAME_BEFORE = 80
SALARY_NAME_AFTER = 60
_SENTENCE_END = re.compile(r"(?<![A-Z])(?<!\b(?:Mr|Ms|Dr|St))(?<!\bMrs|\bRev)[.!?][ \t]+(?=[A-Z])")


def _pounds(match: re.Match) -> float:
    amount = float((match.group("amount") or match.group("annual")).replace(",", ""))
    return amount * 1000 if match.group("k") else amount


def _salaries_near_names(text: str) -> Iterator[_Hit]:
    """An amount of money (£34,500, £34.5k, £95k, GBP 61,400, £14.20, 34,500 per annum) with what
    looks like a person's name up to `SALARY_NAME_BEFORE` characters before it or
    `SALARY_NAME_AFTER` after it, in the same line and sentence: a named person's pay, bonus,
    settlement or fee ("Eileen Parkes ... salary of £34,500", "| Priya Raman | Finance Manager |
    £41,200 |").

    Left alone: pay for a role with nobody named ("the Chief Executive's salary of £65,000"),
    amounts of £1m or more and any written in millions or billions (budgets, contracts), and
    money next to an organisation ("Mutual Ventures received £45,000", "Bevan Brittan LLP's fees").
    """
    names = _names(text)
    starts = [name.start for name in names]
    for match in _MONEY.finditer(text):
        if _pounds(match) >= MONEY_TOO_LARGE:
            continue
        start, end = match.span()
        # The window: on the amount's line and in its sentence, within reach of it.
        sentence_from = max(
            0, start - SALARY_NAME_BEFORE, text.rfind("\n", max(0, start - SALARY_NAME_BEFORE), start) + 1
        )
        for ending in _SENTENCE_END.finditer(text, sentence_from, start):
            sentence_from = ending.end()
        sentence_to = min(len(text), end + SALARY_NAME_AFTER)
        line_end = text.find("\n", end, sentence_to)
        if line_end != -1:
            sentence_to = line_end
        after_ending = _SENTENCE_END.search(text, end, sentence_to)
        if after_ending:
            sentence_to = after_ending.start()
        near = [
            name
            for name in _names_between(names, starts, sentence_from, sentence_to)
            if name.end <= start or end <= name.start
        ]
        if not near:
            continue
        name = min(near, key=lambda name: abs(name.start - start))
        quoted = f"{_short(name.text)} … {match.group(0)}"
        yield _Hit(
            "salary_near_name",
            start,
            quoted,
            f"an amount of money near what looks like a person's name ({quoted}): check it does not "
            "give a named person's pay",
        )


#: One rule per kind, in the order of KINDS.
RULES: tuple[Callable[[str], Iterator[_Hit]], ...] = (
    _emails,
    _phones,
    _ni_numbers,
    _dates_of_birth,
    _postcodes_near_names,
    _salaries_near_names,
)
