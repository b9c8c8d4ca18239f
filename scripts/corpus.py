"""A synthetic corpus of deliverables for benchmarking, deterministic from a seed.

Writes N Markdown files in the public contract's format (YAML front matter, then a Markdown body)
into a folder. Nothing here is real advice: the files only have to look and search like it.

- Vocabulary values are the slugs in `content/vocabularies.yml` (read with
  `knowledgebase.vocab.load_vocabularies`), drawn with Zipf-like skew in file order: the first
  value listed is the most common. Documents have 1-2 sectors, 1-2 legal forms and 1-2 of ~30
  providers (also skewed); publication years run 2010-2022, mostly 2013-2017.
- Bodies are 300-3,000 words (log-normal, median about 850): headings and sentences produced by
  an order-2 word Markov chain trained on the sample deliverables in `content/deliverables/`.
  With fewer than MIN_SAMPLES sample files it trains on a built-in list of paragraphs instead.
- Titles, summaries and organisations are built from place names, service names and
  deliverable-type labels.

Document i depends only on (seed, i), so the corpus of 1,000 is the first 1,000 of 10,000.

Run on its own to look at the output:

    .venv/bin/python scripts/corpus.py --n 20 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import math
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCABULARIES = ROOT / "content" / "vocabularies.yml"
SAMPLE_DIR = ROOT / "content" / "deliverables"
#: Below this many sample files, the Markov chain trains on BUILTIN_PARAGRAPHS instead.
MIN_SAMPLES = 5

BODY_WORDS = (300, 3000)
#: Log-normal body length: exp(N(mu, sigma)) words, redrawn until inside BODY_WORDS.
BODY_MU, BODY_SIGMA = math.log(850), 0.6
YEAR_WEIGHTS = {
    2010: 2,
    2011: 3,
    2012: 5,
    2013: 10,
    2014: 13,
    2015: 13,
    2016: 12,
    2017: 10,
    2018: 6,
    2019: 4,
    2020: 3,
    2021: 2,
    2022: 2,
}
ZIPF_EXPONENT = 1.0
#: What CorpusInfo.values counts, per document.
FACET_NAMES = ("sector", "legal_form", "deliverable_type", "programme", "stage", "region", "provider", "year")

# --- realistic parts --------------------------------------------------------------------------

PLACES_BY_REGION = {
    "north-east": [
        "Durham",
        "Gateshead",
        "Newcastle",
        "Sunderland",
        "Middlesbrough",
        "Hartlepool",
        "Stockton-on-Tees",
        "Northumberland",
    ],
    "north-west": [
        "Knowsley",
        "Lancashire",
        "Cumbria",
        "Salford",
        "Manchester",
        "Stockport",
        "Wigan",
        "Bolton",
        "Oldham",
        "Liverpool",
        "Sefton",
        "Wirral",
        "Blackpool",
    ],
    "yorkshire-and-the-humber": [
        "Leeds",
        "York",
        "Hull",
        "Barnsley",
        "Sheffield",
        "Kirklees",
        "Calderdale",
        "Bradford",
        "Wakefield",
        "Rotherham",
        "Doncaster",
    ],
    "east-midlands": [
        "Derby",
        "Nottingham",
        "Leicester",
        "Lincolnshire",
        "Northamptonshire",
        "Rutland",
        "Derbyshire",
    ],
    "west-midlands": [
        "Coventry",
        "Shropshire",
        "Birmingham",
        "Sandwell",
        "Walsall",
        "Solihull",
        "Wolverhampton",
        "Staffordshire",
        "Stoke-on-Trent",
        "Herefordshire",
    ],
    "east-of-england": [
        "Norwich",
        "Thurrock",
        "Suffolk",
        "Norfolk",
        "Cambridgeshire",
        "Bedford",
        "Luton",
        "Essex",
        "Peterborough",
    ],
    "london": [
        "Brent",
        "Camden",
        "Lambeth",
        "Southwark",
        "Islington",
        "Hackney",
        "Tower Hamlets",
        "Greenwich",
        "Lewisham",
        "Croydon",
        "Sutton",
        "Kingston",
        "Ealing",
        "Barnet",
    ],
    "south-east": [
        "Hampshire",
        "Oxford",
        "Kent",
        "Reading",
        "Surrey",
        "Brighton and Hove",
        "West Sussex",
        "Buckinghamshire",
        "Milton Keynes",
    ],
    "south-west": [
        "Bristol",
        "Plymouth",
        "Cornwall",
        "Devon",
        "Swindon",
        "Wiltshire",
        "Dorset",
        "Somerset",
        "Gloucestershire",
    ],
    "national": ["England", "National", "Whitehall", "Cabinet Office"],
}
ALL_PLACES = sorted({place for places in PLACES_BY_REGION.values() for place in places})

SERVICES_BY_SECTOR = {
    "adult-social-care": [
        "Adult Social Care",
        "Home Care Service",
        "Reablement Service",
        "Day Opportunities",
        "Shared Lives Scheme",
        "Learning Disability Services",
    ],
    "childrens-services": [
        "Children's Centres",
        "Family Support Service",
        "Fostering Service",
        "Early Help Service",
        "Children's Social Work",
    ],
    "youth-services": ["Youth Services", "Youth Work Team", "Connexions Service", "Young People's Service"],
    "community-health": [
        "Community Health Services",
        "District Nursing",
        "Health Visiting Service",
        "Community Therapies",
    ],
    "primary-care": ["GP Federation", "Out-of-Hours Service", "Urgent Care Centre", "Primary Care Network"],
    "mental-health": ["Mental Health Service", "Talking Therapies", "Recovery College", "Wellbeing Service"],
    "public-health": [
        "Public Health Team",
        "Stop Smoking Service",
        "Health Trainers",
        "Weight Management Service",
    ],
    "libraries": ["Libraries", "Library Service", "Mobile Library Service", "Archives and Local Studies"],
    "culture-and-leisure": [
        "Leisure Trust",
        "Museums",
        "Leisure Centres",
        "Parks and Open Spaces",
        "Arts Service",
        "Heritage Service",
    ],
    "adult-education": ["Adult Learning Service", "Community Learning", "Skills Service"],
    "education": [
        "Music Service",
        "School Improvement Service",
        "Outdoor Education Centres",
        "Educational Psychology Service",
    ],
    "probation-and-justice": [
        "Probation Service",
        "Youth Justice Service",
        "Community Rehabilitation Service",
    ],
    "fire-and-rescue": ["Fire and Rescue Training", "Fire Safety Service"],
    "housing": ["Housing Support Service", "Homelessness Service", "Tenancy Sustainment Service"],
    "employment-support": ["Supported Employment Service", "Employment and Skills Service", "Jobs Service"],
    "central-government": [
        "Civil Service Pensions",
        "Government Shared Services",
        "Learning Academy",
        "Passport Service",
    ],
}
ORGANISATION_SUFFIXES = {
    "community-interest-company": [" CIC", " CIC", ""],
    "community-benefit-society": [" Community Benefit Society", " Mutual", ""],
    "co-operative-society": [" Co-operative", " Co-op", ""],
    "charitable-incorporated-organisation": [" CIO", " Trust", ""],
    "charitable-company": [" Trust", ""],
    "employee-ownership-trust": [" Employee Owned", ""],
    "mutual-joint-venture": [" Partnership", " Mutual", ""],
    "local-authority-trading-company": [" Ltd", " Trading Company", ""],
}
TITLE_PATTERNS = {
    "business-plan": [
        "Business plan for {org}",
        "Five-year business plan for a staff-led {service} mutual in {place}",
    ],
    "options-appraisal": [
        "Options appraisal for the future of {place}'s {service}",
        "Options appraisal for {org}",
    ],
    "legal-structure": ["Legal structure advice for {org}", "Choosing a legal form for {place} {service}"],
    "governance": ["Governance and constitution for {org}", "Board and membership structure for {org}"],
    "hr-and-tupe": [
        "TUPE transfer guide for {org} staff",
        "HR and TUPE guidance for the {service} spin-out in {place}",
    ],
    "pensions": ["Pensions advice for {org}", "Admitted body pensions note for {org}"],
    "financial-model": ["Financial model for {org}", "Three-year financial model for {place} {service}"],
    "market-assessment": [
        "Market assessment for {org}",
        "Who else buys {service}? A market assessment for {place}",
    ],
    "staff-engagement": [
        "Staff engagement plan for {org}",
        "Involving staff in the {place} {service} mutual",
    ],
    "bid-support": ["Bid support for {org}'s tender", "Tender response support for {place} {service}"],
    "commercial-strategy": ["Commercial and marketing strategy for {org}", "Growing traded income at {org}"],
    "partnership": ["Partnership paper for {org}", "Working together: a partnership for {place} {service}"],
    "case-study": ["Case study: {org}", "How {org} became a mutual"],
    "evaluation": ["Evaluation of {org}", "Three years on: evaluating {org}"],
}
STAGE_PHRASES = {
    "exploring": "as it explores a move out of the council",
    "spinning-out": "as it prepares to spin out",
    "established": "as an established mutual looking to grow",
    None: "as it considers its options",
}
TOPICS = [
    "TUPE transfer",
    "pension options",
    "the asset lock",
    "governance",
    "staff ownership",
    "contract negotiation",
    "business rates relief",
    "VAT",
    "social value",
    "membership",
    "cash flow",
    "procurement rules",
    "commissioner relationships",
    "board recruitment",
    "the risk register",
    "admitted body status",
    "working capital",
    "staff consultation",
    "union engagement",
    "traded income",
    "charitable status",
    "the transfer agreement",
    "support services",
    "the financial model",
    "investment readiness",
]
PROVIDERS = [
    "Mutual Ventures",
    "Bevan Brittan",
    "Baxendale",
    "Co-operatives UK",
    "Social Enterprise UK",
    "Bates Wells Braithwaite",
    "Numbers for Good",
    "Northgate Mutual Advisers",
    "Clearwater Legal LLP",
    "Fenwick Social Finance",
    "Greenway Consulting",
    "Harbour Co-operative Development",
    "Kestrel Pensions Actuaries",
    "Lowther & Price Solicitors",
    "Meridian Public Services",
    "Oakfield HR Partners",
    "Penrose Governance",
    "Quayside Accountants",
    "Redbank Associates",
    "Saltmarsh Enterprise Support",
    "Thistle Employee Ownership",
    "Upland Community Finance",
    "Vantage Bid Writers",
    "Wetherby Tax Advisers",
    "Yarrow Market Research",
    "Ashdown Coaching",
    "Birchwood Evaluation",
    "Cedar Partnership Brokers",
    "Driftwood Digital",
    "Elmstead Mentoring",
]

BUILTIN_HEADINGS = [
    "Summary",
    "Background",
    "Options",
    "Recommendation",
    "Risks",
    "Next steps",
    "Governance",
    "Pensions",
    "Finances",
    "Staff",
    "Conclusion",
    "Introduction",
]
BUILTIN_PARAGRAPHS = [
    "The council asked us to test whether the service could leave the council as a staff-led "
    "mutual. We met managers, staff and commissioners over six weeks and reviewed the budget for "
    "the last three years.",
    "Staff would transfer to the new organisation under TUPE on their existing terms and "
    "conditions. The council must consult the recognised unions before the transfer date, and the"
    " new employer must give the council the measures it proposes to take.",
    "The Local Government Pension Scheme allows the new organisation to join as an admitted body."
    " The actuary will set an employer contribution rate and the council may need to act as "
    "guarantor.",
    "A community interest company is quick to set up and has an asset lock, but it cannot "
    "register as a charity. A community benefit society can have staff and community members and "
    "may be exempt charitable.",
    "The business plan assumes a five-year contract from the council at a price that falls by "
    "three per cent a year. Traded income from schools and neighbouring councils grows to fifteen"
    " per cent of turnover.",
    "Support services such as payroll, finance and information technology would be bought back "
    "from the council for the first two years and then tendered.",
    "The board would have staff directors, independent directors and one director nominated by "
    "the council. Members elect the staff directors every three years and the board appoints the "
    "chair.",
    "The main risks are a short contract, the pension deficit and the cost of running support "
    "services. Each risk has an owner, a likelihood and an action to reduce it in the risk "
    "register.",
    "Staff engagement has been strong: three quarters of staff attended a workshop and most said "
    "they would support a mutual if their pensions were protected.",
    "Commissioners want assurance on quality, social value and value for money. The procurement "
    "rules allow a contract to be reserved for mutuals for up to three years.",
    "Charitable status would bring mandatory business rates relief worth a large share of the "
    "savings. VAT recovery would be lower than in the council, and the financial model allows for"
    " it.",
    "We recommend that the council approves a full business case, sets up a shadow board and "
    "agrees a timetable for the transfer. A decision on the legal form can wait until the "
    "business case is complete.",
]

# --- sample text and the Markov chain ----------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9£\"'(])")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a Markdown file; front matter is '' when there is none."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return "", text
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "".join(lines[1:number]), "".join(lines[number + 1 :])
    return "", text


@dataclass
class SampleText:
    """Prose and headings to learn from, and where they came from."""

    paragraphs: list[str]
    headings: list[str]
    source: str  # "samples" or "builtin"
    files: int
    digest: str  # sha256 of the text learned from, to tell corpora apart


def read_samples(folder: Path = SAMPLE_DIR, minimum: int = MIN_SAMPLES) -> SampleText:
    """The sample deliverables' prose and headings, or the built-in text when there are too few."""
    paths = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if len(paths) < minimum:
        digest = hashlib.sha256("\n".join(BUILTIN_PARAGRAPHS).encode()).hexdigest()
        return SampleText(list(BUILTIN_PARAGRAPHS), list(BUILTIN_HEADINGS), "builtin", 0, digest)
    paragraphs, headings = [], []
    hasher = hashlib.sha256()
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        hasher.update(text.encode("utf-8"))
        _, body = split_front_matter(text)
        _collect_prose(body, paragraphs, headings)
    return SampleText(
        paragraphs, headings or list(BUILTIN_HEADINGS), "samples", len(paths), hasher.hexdigest()
    )


def _collect_prose(body: str, paragraphs: list[str], headings: list[str]) -> None:
    """Split a Markdown body into plain paragraphs and heading texts; skip tables and code."""
    current: list[str] = []
    for line in body.splitlines() + [""]:
        stripped = line.strip()
        if stripped.startswith("#"):
            headings.append(stripped.lstrip("#").strip())
            stripped = ""
        elif stripped.startswith(("|", "```", ">", "<")):
            stripped = ""
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(_LIST_MARKER.sub("", stripped).replace("**", "").replace("`", ""))


class MarkovText:
    """An order-2 word Markov chain: sentences that read like the text it was trained on."""

    START = ("", "")
    END = None

    def __init__(self, paragraphs: list[str]):
        self.following: dict[tuple[str, str], list[str | None]] = {}
        for paragraph in paragraphs:
            for sentence in _SENTENCE_END.split(paragraph):
                self._learn(sentence.split())
        if self.START not in self.following:
            raise ValueError("no sentences to learn from")

    def _learn(self, words: list[str]) -> None:
        if len(words) < 3:
            return
        state = self.START
        for word in words + [self.END]:
            self.following.setdefault(state, []).append(word)
            if word is None:
                break
            state = (state[1], word)

    def sentence(self, rng: random.Random, limit: int = 60) -> list[str]:
        """One sentence as a list of words, ending in punctuation."""
        words: list[str] = []
        state = self.START
        following, choice = self.following, rng.choice
        while len(words) < limit:
            word = choice(following[state])
            if word is None:
                break
            words.append(word)
            state = (state[1], word)
        if words and words[-1][-1] not in ".!?":
            words[-1] = words[-1].rstrip(",;:") + "."
        return words


# --- drawing values ----------------------------------------------------------------------------


class Skewed:
    """Draws from a list with Zipf-like weights: the first item most often."""

    def __init__(self, items, exponent: float = ZIPF_EXPONENT, weights=None):
        self.items = list(items)
        weights = weights or [1 / (rank + 1) ** exponent for rank in range(len(self.items))]
        self.cumulative = list(itertools.accumulate(weights))

    def one(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]

    def some(self, rng: random.Random, most: int = 2, p_more: float = 0.25) -> list:
        """One value, or with probability p_more up to `most` distinct values."""
        wanted = 1 + sum(rng.random() < p_more for _ in range(most - 1))
        chosen: list = []
        for _ in range(20):
            value = self.one(rng)
            if value not in chosen:
                chosen.append(value)
            if len(chosen) == wanted:
                break
        return chosen


@dataclass
class Drawers:
    sector: Skewed
    legal_form: Skewed
    deliverable_type: Skewed
    programme: Skewed
    stage: Skewed
    region: Skewed
    provider: Skewed
    year: Skewed
    labels: dict[str, str]  # deliverable-type slug -> label

    @classmethod
    def from_vocabularies(cls, vocabularies) -> Drawers:
        def slugs(name):
            return vocabularies[name].slugs

        return cls(
            sector=Skewed(slugs("sector")),
            legal_form=Skewed(slugs("legal_form")),
            deliverable_type=Skewed(slugs("deliverable_type"), exponent=0.8),
            programme=Skewed(slugs("programme")),
            stage=Skewed(slugs("stage"), exponent=0.6),
            region=Skewed(slugs("region"), exponent=0.5),
            provider=Skewed(PROVIDERS, exponent=1.1),
            year=Skewed(list(YEAR_WEIGHTS), weights=list(YEAR_WEIGHTS.values())),
            labels={term.slug: term.label for term in vocabularies["deliverable_type"].terms},
        )


# --- one document ------------------------------------------------------------------------------


@dataclass
class Document:
    slug: str
    meta: dict
    body: str


def slugify(text: str) -> str:
    return "-".join(_WORD.findall(text.lower().replace("'", "").replace("’", "")))


def make_document(
    i: int, seed: int, drawers: Drawers, model: MarkovText | None, headings: list[str], with_body: bool = True
) -> Document:
    """Document number i of the corpus for this seed (its metadata is the same without the body)."""
    rng = random.Random(seed * 1_000_003 + i)
    sectors = drawers.sector.some(rng)
    legal_forms = drawers.legal_form.some(rng, p_more=0.2)
    kind = drawers.deliverable_type.one(rng)
    region = drawers.region.one(rng) if rng.random() < 0.95 else None
    stage = drawers.stage.one(rng) if rng.random() < 0.85 else None
    place = rng.choice(PLACES_BY_REGION.get(region) or ALL_PLACES)
    services = SERVICES_BY_SECTOR.get(sectors[0]) or [sectors[0].replace("-", " ").title()]
    service = rng.choice(services)
    suffix = rng.choice(ORGANISATION_SUFFIXES.get(legal_forms[0], [""]))
    organisation = f"{place} {service}{suffix}"
    pattern = rng.choice(TITLE_PATTERNS.get(kind, ["{label} for {org}"]))
    title = pattern.format(
        org=organisation, place=place, service=service.lower(), label=drawers.labels.get(kind, kind)
    )
    title = title[0].upper() + title[1:]
    year = drawers.year.one(rng)
    topics = rng.sample(TOPICS, 3)
    summary = (
        f"{drawers.labels.get(kind, kind)} prepared for {organisation} "
        f"{STAGE_PHRASES.get(stage, '')}, covering {topics[0]}, {topics[1]} "
        f"and {topics[2]}."
    )
    meta = {
        "title": title[:200],
        "summary": summary[:600],
        "organisation": organisation,
        "sector": sectors,
        "legal_form": legal_forms,
        "deliverable_type": kind,
        "provider": drawers.provider.some(rng, p_more=0.25),
    }
    if rng.random() < 0.9:
        meta["programme"] = drawers.programme.one(rng)
    if stage:
        meta["stage"] = stage
    if region:
        meta["region"] = region
    meta["published"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.7:
        meta["award_value"] = int(round(math.exp(rng.gauss(math.log(40000), 0.7)) / 500)) * 500
    if rng.random() < 0.6:
        meta["tags"] = rng.sample(TOPICS, rng.randint(1, 4))
    slug = f"{slugify(place)}-{kind}-{year}-{i:06d}"
    if not with_body:
        return Document(slug, meta, f"# {drawers.labels.get(kind, kind)}\n\nFor {organisation}.\n")
    body = make_body(rng, model, headings, organisation, drawers.labels.get(kind, kind))
    return Document(slug, meta, body)


def body_length(rng: random.Random) -> int:
    low, high = BODY_WORDS
    while True:
        words = int(math.exp(rng.gauss(BODY_MU, BODY_SIGMA)))
        if low <= words <= high:
            return words


def make_body(
    rng: random.Random, model: MarkovText, headings: list[str], organisation: str, kind_label: str
) -> str:
    """Markdown sections of generated sentences, about body_length() words in all."""
    target = body_length(rng)
    opening = f"{organisation} asked for {kind_label.lower()} from the programme."
    parts: list[str] = []
    count = 0
    first = True
    while count < target:
        parts.append("# " + rng.choice(headings))
        for _ in range(rng.randint(1, 4)):
            if not first and rng.random() < 0.15:
                items = [" ".join(model.sentence(rng, limit=30)) for _ in range(rng.randint(3, 5))]
                count += sum(len(item.split()) for item in items)
                parts.append("\n".join("- " + item for item in items))
            else:
                sentences = [" ".join(model.sentence(rng)) for _ in range(rng.randint(2, 6))]
                if first:
                    sentences.insert(0, opening)
                    first = False
                count += sum(len(sentence.split()) for sentence in sentences)
                parts.append(" ".join(sentences))
            if count >= target:
                break
    return "\n\n".join(parts) + "\n"


def render(document: Document) -> str:
    """The file's text: front matter (strings JSON-quoted, which YAML reads as is) and body."""
    lines = ["---"]
    for key, value in document.meta.items():
        if isinstance(value, list):
            items = ", ".join(json.dumps(item, ensure_ascii=False) for item in value)
            lines.append(f"{key}: [{items}]")
        elif isinstance(value, str) and key != "published":
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n" + document.body


# --- the corpus --------------------------------------------------------------------------------


@dataclass
class CorpusInfo:
    """What was written, and the statistics a query mix is built from."""

    folder: Path
    count: int
    seed: int
    words: int
    source: str
    sample_files: int
    sample_digest: str
    #: In how many documents each word occurs (lower-case body, title and summary words).
    doc_freq: Counter = field(default_factory=Counter)
    #: In how many documents each tracked phrase occurs (lower-case substring).
    phrase_freq: Counter = field(default_factory=Counter)
    #: How many documents have each value, per facet.
    values: dict[str, Counter] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "documents": self.count,
            "seed": self.seed,
            "words": self.words,
            "text_source": self.source,
            "sample_files": self.sample_files,
            "sample_digest": self.sample_digest,
            "values": {name: dict(counter.most_common()) for name, counter in self.values.items()},
        }


def generate(
    folder: str | Path,
    n: int,
    seed: int,
    vocabularies,
    *,
    samples: SampleText | None = None,
    phrases: tuple[str, ...] = (),
) -> CorpusInfo:
    """Write documents 0..n-1 for this seed into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    samples = samples or read_samples()
    model = MarkovText(samples.paragraphs)
    drawers = Drawers.from_vocabularies(vocabularies)
    info = CorpusInfo(
        folder,
        n,
        seed,
        0,
        samples.source,
        samples.files,
        samples.digest,
        values={name: Counter() for name in FACET_NAMES},
    )
    lowered_phrases = [phrase.lower() for phrase in phrases]
    for i in range(n):
        document = make_document(i, seed, drawers, model, samples.headings)
        (folder / f"{document.slug}.md").write_text(render(document), encoding="utf-8")
        _count(info, document, lowered_phrases)
    return info


def _count(info: CorpusInfo, document: Document, phrases: list[str]) -> None:
    meta = document.meta
    text = " ".join((meta["title"], meta["summary"], document.body)).lower()
    words = _WORD.findall(text)
    info.words += len(document.body.split())
    info.doc_freq.update(set(words))
    info.phrase_freq.update(phrase for phrase in phrases if phrase in text)
    for name in ("sector", "legal_form", "provider"):
        info.values[name].update(meta[name])
    for name in ("deliverable_type", "programme", "stage", "region"):
        if meta.get(name):
            info.values[name][meta[name]] += 1
    info.values["year"][meta["published"][:4]] += 1


def insert_rows(database, n: int, seed: int, vocabularies, *, batch: int = 2000) -> int:
    """Store documents 0..n-1 straight into a migrated database as published deliverables, with
    one-line bodies and no revisions: the metadata of `generate`'s corpus without parsing and
    rendering Markdown, for measuring what reads the record (exports), not ingest. About 100x
    faster than writing files and ingesting them. Index them afterwards with
    `knowledgebase.ingest.rebuild_index`. Returns how many were stored."""
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    from sqlalchemy import insert

    from knowledgebase.models import VALUE_ROWS, Deliverable

    drawers = Drawers.from_vocabularies(vocabularies)
    now = dt.datetime(2026, 1, 1)
    one_valued = ("title", "summary", "organisation", "deliverable_type", "programme", "stage", "region")
    stored = 0
    with database.engine.begin() as connection:
        for start in range(0, n, batch):
            rows, values = [], {key: [] for key in VALUE_ROWS}
            for i in range(start, min(n, start + batch)):
                document = make_document(i, seed, drawers, None, [], with_body=False)
                meta = document.meta
                text = render(document)
                rows.append(
                    {
                        "id": i + 1,
                        "slug": document.slug,
                        **{key: meta.get(key) for key in one_valued},
                        "published": dt.date.fromisoformat(meta["published"]),
                        "award_value": meta.get("award_value"),
                        "licence": "OGL-3.0",
                        "markdown": text,
                        "body_html": "<p>" + document.body + "</p>",
                        "body_text": document.body,
                        "toc": [],
                        "source_path": f"{document.slug}.md",
                        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                        "status": "published",
                        "created_at": now,
                        "updated_at": now,
                        "first_published_at": now,
                        "last_changed_at": now,
                    }
                )
                for key in VALUE_ROWS:
                    for position, value in enumerate(meta.get(key, ())):
                        values[key].append({"deliverable_id": i + 1, "position": position, "value": value})
            connection.execute(insert(Deliverable.__table__), rows)
            for key, (_attribute, row_class) in VALUE_ROWS.items():
                if values[key]:
                    connection.execute(insert(row_class.__table__), values[key])
            stored += len(rows)
    return stored


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20, help="how many documents (default 20)")
    parser.add_argument("--out", required=True, help="folder to write the Markdown files into")
    parser.add_argument("--seed", type=int, default=2013, help="random seed (default 2013)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from knowledgebase.vocab import load_vocabularies

    info = generate(args.out, args.n, args.seed, load_vocabularies(VOCABULARIES))
    summary = {key: value for key, value in info.summary().items() if key != "values"}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
