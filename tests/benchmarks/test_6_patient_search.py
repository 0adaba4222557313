"""6. Patient search as you type at 100,000 patients: Desk.search_patients beside a raw indexed lookup.

Target (design.md §6): <= 5 ms p95 for the query, prefix and accent-blind, on an index. The patients
are bulk-inserted through the models in one transaction (the register's own checks would take minutes),
with their search words folded by the same functions the register uses. The query kinds are interleaved
so drift in the machine's speed touches them alike; the baseline is a raw sqlite3 lookup of one clinic
number on its unique index, on its own connection to the same file.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

from peewee import Database, chunked

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff, search_key, search_words, sort_key
from desk_app.store.desk import Desk
from desk_app.store.models import PatientRow, PatientWord
from tests.benchmarks.bench_tools import Report, Row, median, p95, sql_log_with_params, time_ms

PATIENTS = 100_000
RUNS = 200  # per query kind
TARGET_P95_MS = 5.0

# The commonest surnames of England and Wales with their share per 10,000 people (ONS, rounded), then
# a long tail: the clinic's mix of accented and Irish/Welsh names and compound English surnames.
TOP_SURNAMES = {
    "Smith": 120, "Jones": 90, "Williams": 70, "Taylor": 55, "Brown": 55, "Davies": 50, "Evans": 40,
    "Wilson": 35, "Thomas": 35, "Johnson": 35, "Roberts": 33, "Robinson": 30, "Thompson": 30,
    "Wright": 30, "Walker": 28, "White": 27, "Edwards": 26, "Hughes": 25, "Green": 25, "Hall": 25,
    "Lewis": 24, "Harris": 24, "Clarke": 23, "Patel": 23, "Jackson": 23, "Wood": 22, "Turner": 21,
    "Martin": 21, "Cooper": 20, "Hill": 20, "Ward": 20, "Morris": 20, "Moore": 20, "Clark": 19,
    "Lee": 19, "King": 19, "Baker": 19, "Harrison": 18, "Morgan": 18, "Allen": 18, "James": 17,
    "Scott": 17, "Phillips": 17, "Watson": 17, "Davis": 16, "Parker": 16, "Price": 16, "Bennett": 16,
    "Young": 16, "Griffiths": 15, "Mitchell": 15, "Kelly": 15, "Cook": 15, "Carter": 15,
    "Richardson": 14, "Bailey": 14, "Collins": 14, "Bell": 14, "Shaw": 14, "Murphy": 14, "Miller": 14,
    "Cox": 13, "Richards": 13, "Khan": 13, "Marshall": 13, "Anderson": 13, "Simpson": 13, "Ellis": 13,
    "Adams": 12, "Singh": 12, "Begum": 12, "Wilkinson": 12, "Foster": 12, "Chapman": 12, "Powell": 12,
    "Webb": 11, "Rogers": 11, "Gray": 11, "Mason": 11, "Ali": 11, "Hunt": 11, "Hussain": 11,
}  # fmt: skip
RARE_SURNAMES = [
    "O'Brien", "O'Neill", "McDonald", "Smyth", "Smithson", "Smart", "Small", "Zoltan", "Núñez",
    "Müller", "Nowak", "Kowalczyk", "Öztürk", "Ní Bhriain", "ap Rhys", "de Souza", "Fernández",
    "Łukaszewicz", "Gruffydd", "Ó Súilleabháin", "Şahin", "Dvořák", "Søndergaard", "Zieliński",
]  # fmt: skip
_STEMS = [
    "Ash", "Black", "Brad", "Brook", "Cal", "Chad", "Craw", "Dun", "East", "Fair", "Fox", "Gold", "Hart",
    "Hay", "Hol", "Kings", "Lang", "Lind", "Mar", "Mid", "New", "North", "Oak", "Pen", "Rad", "Red",
    "Rush", "Sal", "Shel", "South", "Stan", "Sum", "Thorn", "Wake", "West", "Whit", "Wins", "Wood",
]  # fmt: skip
_ENDINGS = [
    "ley", "ton", "worth", "field", "ford", "wood", "by", "ham", "well", "burn", "brook", "combe", "den",
    "hurst", "more", "stead", "wick", "shaw", "bury", "cliffe", "dale", "ridge", "thorpe", "land", "gate",
]  # fmt: skip
COMPOUND_SURNAMES = [stem + ending for stem in _STEMS for ending in _ENDINGS]
# First names, commonest first (each about 1 in 50 down to 1 in 300 people).
GIVEN_NAMES = [
    "Olivia", "Oliver", "Amelia", "George", "Isla", "Noah", "Ava", "Arthur", "Mia", "Harry", "Sophia",
    "Leo", "Grace", "Muhammad", "Lily", "Jack", "Freya", "Charlie", "Emily", "Oscar", "Ivy", "Thomas",
    "Ella", "James", "Rosie", "William", "Evie", "Henry", "Florence", "Alfie", "Poppy", "Joshua",
    "Sarah", "David", "Emma", "Michael", "Claire", "Paul", "Helen", "Mark", "Susan", "Andrew", "Karen",
    "Peter", "Julie", "John", "Margaret", "Robert", "Elizabeth", "Richard", "Mary Jane", "Ellie-Mae",
    "Niamh", "Aoife", "Siân", "Ffion", "Seán", "Dafydd", "Rhys", "Chloé", "Renée", "Zoë", "Zoe",
    "Łukasz", "José", "Jürgen", "Aisha", "Fatima", "Priya", "Ananya", "Zainab", "Zofia", "Zak", "Jan",
]  # fmt: skip

NOTE_PLAN = "6: EXPLAIN QUERY PLAN of search_patients('smith'):"


def _people(rng: random.Random) -> Iterator[tuple[int, str, str, date, str]]:
    """(id, given names, surname, date of birth, clinic number): surnames as common as in England
    and Wales (Smith 1.2 %, the top 83 a quarter of people), births 1940-2008."""
    tail = 10_000 - sum(TOP_SURNAMES.values())
    surnames = [*TOP_SURNAMES, *RARE_SURNAMES, *COMPOUND_SURNAMES]
    rare_share = tail / (len(RARE_SURNAMES) + len(COMPOUND_SURNAMES))
    surname_weights = [*TOP_SURNAMES.values(), *[rare_share] * (len(surnames) - len(TOP_SURNAMES))]
    given_weights = [1 / (rank + 30) for rank in range(len(GIVEN_NAMES))]
    first_day = date(1940, 1, 1).toordinal()
    span = date(2008, 12, 31).toordinal() - first_day
    chosen = zip(
        rng.choices(GIVEN_NAMES, given_weights, k=PATIENTS),
        rng.choices(surnames, surname_weights, k=PATIENTS),
        strict=True,
    )
    for index, (given, surname) in enumerate(chosen, start=1):
        birth = date.fromordinal(first_day + rng.randrange(span))
        yield index, given, surname, birth, f"AZ-{index:06d}"


def _build(
    db: Database, clock: ManualClock, nurse: Staff, rng: random.Random
) -> tuple[list[tuple], dict[int, set[str]]]:
    """Insert PATIENTS patients and their search words in one transaction, folded by the register's
    own functions; return the people and each one's words."""
    people = list(_people(rng))
    words = {pid: search_words(given, family, number) for pid, given, family, _, number in people}
    now = clock.now()
    fields = [
        PatientRow.id,
        PatientRow.given_names,
        PatientRow.family_name,
        PatientRow.date_of_birth,
        PatientRow.clinic_number,
        PatientRow.search_text,
        PatientRow.sort_key,
        PatientRow.created_at,
        PatientRow.created_by,
    ]
    with db.atomic():
        assert PatientRow.select().count() == 0
        patient_rows = (
            (
                pid,
                given,
                family,
                birth,
                number,
                search_key(f"{given} {family}"),
                sort_key(given, family),
                now,
                nurse.id,
            )
            for pid, given, family, birth, number in people
        )
        for batch in chunked(patient_rows, 2000):
            PatientRow.insert_many(batch, fields=fields).execute()
        word_rows = (
            (pid, word, sort_key(given, family), False)
            for pid, given, family, _, _ in people
            for word in sorted(words[pid])
        )
        word_fields = [PatientWord.patient, PatientWord.word, PatientWord.sort_key, PatientWord.archived]
        for batch in chunked(word_rows, 5000):
            PatientWord.insert_many(batch, fields=word_fields).execute()
    # No ANALYZE: the app never runs it, so the planner sees what it sees at a clinic.
    return people, words


def _first_page(people: list[tuple], words: dict[int, set[str]], prefix: str) -> tuple[int, list[int]]:
    """Worked out in Python: how many patients have a word starting with `prefix`, and the ids of the
    first 50 of them in the register's order (folded surname and first names, then id)."""
    matching = [p for p in people if any(word.startswith(prefix) for word in words[p[0]])]
    # The register's order for typed names: the matching word, then surname and first names, then id.
    matching.sort(
        key=lambda p: (min(w for w in words[p[0]] if w.startswith(prefix)), sort_key(p[1], p[2]), p[0])
    )
    return len(matching), [p[0] for p in matching[:50]]


def _query_plan(db: Database, desk: Desk, text: str) -> list[str]:
    """The search's EXPLAIN QUERY PLAN (each of its SELECTs: the matching ids off the word index,
    then those patients), with peewee's table aliases ("patient" AS "t1") named back."""
    with sql_log_with_params() as queries:
        desk.patients.search_patients(text)
    selects = [(sql, params) for sql, params in queries if sql.lstrip().startswith("SELECT")]
    assert 1 <= len(selects) <= 2, f"a search is at most two SELECTs, not {len(selects)}"
    plan = []
    for sql, params in selects:
        aliases = dict((alias, table) for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql))
        for *_, step in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall():
            words = step.split(" ")
            if len(words) > 1 and words[0] in ("SCAN", "SEARCH") and words[1] in aliases:
                words[1] = aliases[words[1]]
            plan.append(" ".join(words))
    return plan


def _full_scans(plan: list[str]) -> list[str]:
    """Plan steps that read all of a register table: 'SCAN patient' with no index, and also 'SCAN
    patient USING INDEX ...' (every row, in index order, nothing to narrow it). A scan of a small
    intermediate result ('SCAN m', 'SCAN CONSTANT ROW') is fine."""
    return [
        step
        for step in plan
        if step.startswith(("SCAN patient ", "SCAN patient_word")) or step == "SCAN patient"
    ]


def test_patient_search_at_100k(
    report: Report,
    db: Database,
    db_path: Path,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    qapp,  # noqa: ANN001
) -> None:
    rng = random.Random(20261125)
    build_ms, (people, words) = time_ms(lambda: _build(db, clock, nurse, rng))
    sample = rng.sample(people, RUNS)
    smiths = [p for p in people if p[2] == "Smith"]
    pair = rng.sample(smiths, RUNS)
    kinds: dict[str, list[str]] = {
        "'sm' (2 letters)": ["sm"] * RUNS,
        "'smith'": ["smith"] * RUNS,
        "'zo' (accent-blind: Zoë, Zoe, Zofia)": ["zo"] * RUNS,
        "clinic number 'AZ-012345'": [p[4] for p in sample],
        "clinic digits '012345'": [p[4].removeprefix("AZ-") for p in sample],
        "date of birth '03/02/1990'": [p[3].strftime("%d/%m/%Y") for p in sample],
        "two words 'olivia smi'": [f"{p[1].split()[0].lower()} {p[2][:3].lower()}" for p in pair],
    }
    expected = {kind: [] for kind in kinds}  # a first page of results for each kind
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    raw_ms: list[float] = []
    numbers = [p[4] for p in sample]
    with closing(sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)) as raw:
        for run in range(RUNS):
            for kind, texts in kinds.items():
                elapsed, found = time_ms(lambda: desk.patients.search_patients(texts[run]))  # noqa: B023
                samples[kind].append(elapsed)
                expected[kind].append(len(found))
            number = numbers[run]
            elapsed, row = time_ms(
                lambda: raw.execute(
                    "SELECT * FROM patient WHERE clinic_number = ?",
                    (number,),  # noqa: B023
                ).fetchone()
            )
            assert row is not None
            raw_ms.append(elapsed)

    # The searches found what they should: every clinic number and date of birth its patient.
    assert all(count == 1 for count in expected["clinic number 'AZ-012345'"])
    assert all(count == 1 for count in expected["clinic digits '012345'"])
    assert all(count >= 1 for count in expected["date of birth '03/02/1990'"])
    assert all(count >= 1 for count in expected["two words 'olivia smi'"])
    assert min(expected["'smith'"]) == 50  # a full first page; more on the next

    raw_median = median(raw_ms)
    report.add(Row("6a. raw sqlite3 clinic_number = ?", RUNS, raw_median, p95(raw_ms), "baseline"))
    rows = []
    for letter, (kind, timings) in zip("bcdefghij", samples.items(), strict=False):
        rows.append(
            report.add(
                Row(
                    f"6{letter}. search {kind}",
                    RUNS,
                    median(timings),
                    p95(timings),
                    f"p95 <= {TARGET_P95_MS:g} ms",
                    baseline_ms=raw_median,
                    fail_above_ms=TARGET_P95_MS,
                )
            )
        )
    matches = []
    for prefix in ("sm", "smith", "zo"):
        how_many, page = _first_page(people, words, prefix)
        assert [p.id for p in desk.patients.search_patients(prefix)] == page, prefix
        matches.append(f"'{prefix}' {how_many:,}")
    plan = _query_plan(db, desk, "smith")
    report.note(
        f"6: {PATIENTS:,} patients ({PatientWord.select().count():,} search words) bulk-inserted "
        f"in {build_ms / 1000:.1f} s; each search returns its first page (up to 50). "
        f"Patients matching: {', '.join(matches)}."
    )
    report.note(f"{NOTE_PLAN} " + " / ".join(plan))
    if not any("COVERING INDEX" in step for step in plan):
        report.note("6: the word index is not covering: every matching word reads its patient_word row too.")
    scans = _full_scans(plan)
    assert not scans, f"the 'smith' search reads a whole table or index: {scans}"
    rows += _screen_timings(report, desk, clock, nurse, qapp)
    slow = [f"{row.what}: p95 {row.p95_ms:.2f} ms" for row in rows if not row.passed]
    assert not slow, f"over the {TARGET_P95_MS} ms p95 target: {slow}"


def _screen_timings(report: Report, desk: Desk, clock: ManualClock, nurse: Staff, qapp) -> list[Row]:  # noqa: ANN001
    """The patients screen over the same 100,000 patients: the whole list painted first (lazy model,
    fixed row heights), then one keystroke to its results painted."""
    from desk_app.ui.context import DeskContext
    from desk_app.ui.db_worker import DatabaseWorker
    from desk_app.ui.patients_page import PatientsPage
    from desk_app.ui.signals import DeskSignals

    signals = DeskSignals()
    worker = DatabaseWorker(desk.db, clock)
    page = PatientsPage(DeskContext(desk, signals, clock, lambda: nurse, worker))
    worker.setParent(page)
    page.resize(1200, 800)
    page.show()
    qapp.processEvents()
    first_paint, keystroke = [], []

    def answered() -> None:
        """Until the search's patients are back from the database worker and in the table."""
        while not worker.idle():
            qapp.processEvents()

    for run in range(20):
        page.search_edit.clear()
        elapsed, _ = time_ms(lambda: (page.search(), answered(), page.table.viewport().repaint()))
        first_paint.append(elapsed)
        text = ("sm", "zo", "ol", "ja")[run % 4]
        page.search_edit.setText(text[0])
        elapsed, _ = time_ms(  # the key, then its search once typing pauses (ui.typed_search), painted
            lambda: (
                page.search_edit.insert(text[1]),  # noqa: B023
                page.typing.flush(),
                answered(),
                page.table.viewport().repaint(),
            )
        )
        keystroke.append(elapsed)
    rows_shown = page.model.rowCount()
    page.close()
    report.note(
        f"6i: the list holds {rows_shown} rows after the first paint, of 100,000 (paged as it scrolls)."
    )
    return [
        report.add(
            Row(
                "6i. patients list, first paint of 100k",
                len(first_paint),
                median(first_paint),
                p95(first_paint),
                "p95 <= 200 ms",
                fail_above_ms=200.0,
            )
        ),
        report.add(
            Row(
                "6j. keystroke to results painted",
                len(keystroke),
                median(keystroke),
                p95(keystroke),
                "p95 <= 100 ms",
                fail_above_ms=100.0,
            )
        ),
    ]
