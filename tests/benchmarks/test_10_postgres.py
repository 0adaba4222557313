"""10. The same desk on PostgreSQL (the throwaway loopback server of `make bench`) beside SQLite.

Each row is measured once per database in the same run: a tick (the design's 100 ms p95), the
once-a-second look for other desks' changes, a word search in 5,000 patients and the audit verify.
A real clinic's server is across a network: each statement then costs a round trip more than here.
"""

from __future__ import annotations

import pytest

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.audit import write_audit
from desk_app.store.desk import Desk
from desk_app.store.models import PatientRow, PatientWord
from tests.benchmarks.bench_tools import Report, Row, median, p95, register_patients, time_ms
from tests.support.walk import ANAESTHETIC, SIGN_IN

pytestmark = pytest.mark.both_databases

TICKS = 100
LOOKS = 200
SEARCHES = 50
PATIENTS = 5_000


def test_tick_look_search_and_verify_on_each_database(
    report: Report, backend: str, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    items = list({**SIGN_IN, **ANAESTHETIC}.items())
    patient_ids = register_patients(desk, nurse.id, TICKS // len(items) + 1)
    tick_ms: list[float] = []
    for patient_id in patient_ids:
        session_id = desk.sessions.start_session(patient_id, nurse.id).id
        for item_id, values in items[: TICKS - len(tick_ms)]:
            clock.advance(seconds=20)
            tick_ms.append(time_ms(lambda: desk.sessions.tick(session_id, item_id, values, nurse.id))[0])  # noqa: B023
    report.add(
        Row(
            f"tick ({backend})",
            len(tick_ms),
            median(tick_ms),
            p95(tick_ms),
            "p95 <= 100 ms",
            fail_above_ms=100,
        )
    )

    desk.changed_elsewhere()
    look_ms = [time_ms(desk.changed_elsewhere)[0] for _ in range(LOOKS)]
    report.add(
        Row(
            f"look for other desks' changes ({backend})",
            LOOKS,
            median(look_ms),
            p95(look_ms),
            "once a second",
        )
    )

    # Patients in bulk (the search reads the same tables the desk fills), then searches.
    rows = [
        {
            "given_names": "Bench",
            "family_name": f"Person {number:05d}",
            "date_of_birth": "1980-01-01",
            "clinic_number": f"S-{number:05d}",
            "search_text": f"bench person {number:05d}",
            "created_at": clock.now(),
            "created_by": nurse.id,
            "sort_key": f"person {number:05d}, bench",
        }
        for number in range(PATIENTS)
    ]
    with desk.db.atomic():
        for start in range(0, PATIENTS, 1_000):
            PatientRow.insert_many(rows[start : start + 1_000]).execute()
        made = PatientRow.select(PatientRow.id, PatientRow.sort_key).where(
            PatientRow.clinic_number.startswith("S-")
        )
        words = [
            {"patient": patient_id, "word": word, "sort_key": key, "archived": False}
            for patient_id, key in made.tuples()
            for word in ("bench", "person", key.split(",")[0].split()[1])
        ]
        for start in range(0, len(words), 1_000):
            PatientWord.insert_many(words[start : start + 1_000]).execute()
        # Sealed as registering them one by one would have (verify checks every patient's row).
        bulk = [(PatientRow, PatientRow.clinic_number.startswith("S-"))]
        write_audit(desk.db, clock.now(), nurse.id, "patients registered", "patient", None, sealed=bulk)
    search_ms = [time_ms(lambda: desk.patients.search_patients("person 04"))[0] for _ in range(SEARCHES)]
    assert len(desk.patients.search_patients("person 04")) == 50
    report.add(
        Row(
            f"word search, {PATIENTS} patients ({backend})",
            SEARCHES,
            median(search_ms),
            p95(search_ms),
            "as you type",
        )
    )

    verify_ms, verified = time_ms(desk.audit.verify_audit)
    assert verified.ok
    report.add(Row(f"audit verify, {verified.rows} rows ({backend})", 1, verify_ms, None, "reported"))
