"""A realistic demo database, for training new staff and for showing the app without real patients.

Everything is written through the public Desk actions, never into the tables directly, so the demo
passes the same validation, stops and overrides as real use: if the procedure or a check changes and
the demo no longer fits, building it fails loudly instead of producing records real use never could.
History is built by moving a ManualClock through past instants, because Desk stamps every event with
its clock. The three sessions in progress are placed just before the real current time, so the home
board shows a countdown running, a patient ready for the laser room and one in the laser room.

The clinic has two registered lasers. Every clinic day an authorised operator checks the lasers the
day's patients are booked on before the first of them; one check failed, and that day's patient went
on the other laser, as the app's hard stop makes a real clinic do.

Procedure 1.5's rules (issue 16) each show once: a clinician's override of more gel than the product
allows and of a session sooner than 4 weeks after the last, test patches before a first session of
skin type IV to VI, courses complete at session 3 of 3 (no next date) and one extended with a reason,
and allergies on a patient's registration.

Zoë O'Brien's course has clinical photos (issue 21): before each session from the front and each
side, and from the front after it, drawn (tests/support/make_demo_photos.py), not of anyone; her
scars fade from one session to the next, so the side-by-side view shows a course's progress.

Each patient on a course signed the consent form on the pad at their first session's sign-in
(issue 21), a synthetic scribble witnessed by the nurse's PIN; later sessions tick the consent item
for the consent in force. Ffion Llewellyn refused photos on it; Astrid Bjørk withdrew hers after her
session.

The demo only ever fills a new database: training data must never mix with real records.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import cycle, groupby
from typing import Any

from desk_app.domain.alerts import AlertKind
from desk_app.domain.clinic import ClinicDetails, checked_clinic_details
from desk_app.domain.clock import ManualClock, SystemClock
from desk_app.domain.credentials import Argon2Hasher, HashCost, SecretHasher
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Patient, Role, Staff
from desk_app.domain.procedure import load_procedure
from desk_app.domain.session import SessionRecord
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.audit import write_audit
from desk_app.store.database import open_database, shown_name
from desk_app.store.demo_signatures import scribble
from desk_app.store.desk import Desk
from desk_app.store.models import DEMO_SETTING, ClinicSetting
from desk_app.store.this_database import DEMO_PASSWORD, DEMO_PIN

# --- the data --------------------------------------------------------------------------------------

# The synthetic photos in resources/demo/photos (tests/support/make_demo_photos.py draws them): of
# this patient's first sessions, each (stage, view) of a session, 800 x 600.
DEMO_PHOTO_PATIENT = "O'Brien"
DEMO_PHOTO_SESSIONS = 3
DEMO_PHOTOS = (("before", "front"), ("before", "left"), ("before", "right"), ("after", "front"))
DEMO_PHOTO_SIZE = (800, 600)


def demo_photo_name(session_number: int, stage: str, view: str) -> str:
    return f"session-{session_number}-{stage}-{view}"


# (name, initials, role): two nurses who run the sessions and the clinician who decides on overrides.
# Every demo account signs in with the same password and PIN (DEMO_PASSWORD, DEMO_PIN): training only.
STAFF = (
    ("Morgan Price", "MP", "administrator"),
    ("Rhiannon Hughes", "RH", "nurse"),
    ("Kate Whitmore", "KW", "nurse"),
    ("Dr Samir Haddad", "SH", "clinician"),
)
# Authorised laser operators (trained six weeks before joining, for a year from today); Rhiannon Hughes
# is a nurse without laser authorisation: she runs sign-in and the anaesthetic only.
LASER_OPERATORS = ("KW", "SH")

# (given names, family name, age today, birthday as (month, day)). Ages are kept relative to today so
# the demo stays plausible whenever it is built. Clinic numbers are given in this order.
PATIENTS = (
    ("Zoë", "O'Brien", 27, (3, 14)),
    ("Siân", "Pritchard", 34, (7, 2)),
    ("José", "Nuñez", 31, (11, 23)),
    ("Chloé", "Dubois", 24, (5, 9)),
    ("Astrid", "Bjørk", 29, (1, 30)),
    ("Oliver", "Bennett", 42, (9, 17)),
    ("Priya", "Sharma", 26, (12, 4)),
    ("Callum", "McKenzie", 22, (6, 21)),
    ("Amara", "Okoye", 33, (4, 6)),
    ("Tomasz", "Wiśniewski", 38, (8, 11)),
    ("Ffion", "Llewellyn", 23, (10, 3)),
    ("Hannah", "Whitfield", 45, (2, 27)),
    ("Jack", "Thornton", 21, (12, 19)),
    ("Ellie-Mae", "Carter", 25, (3, 1)),
    ("Mohammed", "Rahman", 36, (5, 28)),
    ("Rosie", "Harrington", 52, (7, 15)),
    ("Kwame", "Mensah", 40, (9, 5)),
    ("Isla", "Fraser", 30, (1, 12)),
    ("Ruairí", "Doyle", 28, (4, 24)),
    ("Sophie", "Clarke", 35, (6, 8)),
    ("Leah", "D'Souza", 24, (11, 2)),
    ("Renée", "Fontaine", 47, (8, 30)),
    ("Niamh", "O'Sullivan", 32, (2, 16)),
    ("Daniel", "Kowalski", 39, (10, 21)),
    ("Aisha", "Begum", 27, (12, 28)),
    ("Ethan", "Marsh", 20, (5, 3)),
    ("Lucía", "Fernández", 43, (3, 26)),
    ("Jamie", "Sinclair", 58, (9, 9)),
    ("Bethan", "Morgan", 37, (7, 27)),
    ("Connor", "Walsh", 29, (11, 14)),
)
FIRST_CLINIC_NUMBER = 1012


@dataclass(frozen=True)
class Laser:
    """One of the clinic's lasers as the administrator registers it, its next service counted from
    today (so that the Laser devices page looks alike whenever the demo is built)."""

    make: str
    model: str
    serial_number: str
    wavelengths_nm: str
    eyewear_marking: str
    service_in_days: int

    def entered(self, today: date) -> dict[str, Any]:
        """What the administrator types into the register form."""
        return {
            "make": self.make,
            "model": self.model,
            "serial_number": self.serial_number,
            "wavelengths_nm": self.wavelengths_nm,
            "laser_class": "4",
            "eyewear_marking": self.eyewear_marking,
            "lpa_name": LPA_NAME,
            "next_service_on": today + timedelta(days=self.service_in_days),
        }


# Two Er:YAG lasers, so the procedure's settings (mJ per pulse, a 7 mm full beam) fit both; their
# eyewear differs, so the marking confirmed at the time-out matters. The Dermablate's yearly service
# falls due in a few weeks, which the Laser devices page shows; neither is overdue today.
LPA_NAME = "Dr Gareth Lloyd"
FOTONA = Laser("Fotona", "SP Dynamis", "SPD-21-04817", "2940", 'EN 207 "D 2940 LB5"', 200)
DERMABLATE = Laser("Asclepion", "MCL31 Dermablate", "MCL31-1907-226", "2940", 'EN 207 "DI 2940 LB6"', 24)
LASERS = (FOTONA, DERMABLATE)


@dataclass(frozen=True)
class FailedCheck:
    """The one pre-use check that failed: which laser, on which clinic day, which item and why."""

    laser: Laser
    weeks_ago: int
    item: str
    note: str


# The Dermablate failed its check on the morning of Amara Okoye's visit: her session went on the
# Fotona instead, which was checked that day for Ffion Llewellyn's.
FAILED_CHECK = FailedCheck(
    DERMABLATE,
    4,
    "plume_extraction",
    "Plume extractor not drawing; service booked. Patients moved to the Fotona.",
)
CHECKS_AT = "08:30"  # first thing, before the day's first patient
CHECK_MINUTES = 6
CHECKS_BEFORE_FIRST_SESSION = timedelta(minutes=15)  # when the day's first patient comes earlier

# The patient who withdrew her consent after her session, and why.
WITHDRAWS_CONSENT = "Bjørk"
WITHDRAWAL_REASON = (
    "Told the nurse after the session that she does not wish to go on with the course: the recovery "
    "is too hard to fit around work. Happy to be contacted again in the new year."
)
# The clinic's two anaesthetic products, as the procedure lists them (LMX4 may be covered, up to 20 g;
# the lidocaine/prilocaine cream must not be, up to 10 g, and comes off sooner). Most patients have
# LMX4; the grams follow the areas painted.
LMX4 = "LMX4 lidocaine 4% cream"
LIDOCAINE_PRILOCAINE = "Lidocaine 2.5% / prilocaine 2.5% cream"
GRAMS_PER_AREA = {LMX4: 2.5, LIDOCAINE_PRILOCAINE: 2.0}
TOXICITY_SIGN = "metallic_taste"
TOXICITY_CLEARED = (
    "Seen at the time-out: a brief metallic taste, gone within 15 minutes; pulse, blood pressure and "
    "speech normal, no numbness. Safe to go on; asked again before the laser."
)
TEST_PATCH_RESULT = "No reaction"  # done at the consultation, for skin types IV to VI

# Why a session deserves a mention: these show the record's less common events on screen and in print.
OVERRIDE = "override"  # skin type V, and a clinician's written reason to go on
NOTE = "note"  # pinpoint bleeding, with a nurse's note on the skin response
CORRECTION = "correction"  # a mistyped density, corrected with a reason and ticked again
ABORTED = "aborted"  # stopped before the gel went on
PHOTOS_REFUSED = "photos refused"
UNPAINTED = "unpainted"  # the full-beam pass also treats an area the gel was not on: overridden
ADVERSE = "adverse event"  # a blister, reviewed by the clinician; the follow-up call finds it infected
CALLED = "called"  # the follow-up call two days later: nothing wrong
OVER_GRAMS = "over grams"  # more LMX4 than the product allows, for a large area: overridden
EARLY = "early"  # sooner than 4 weeks after the last session: overridden
TOXICITY = "toxicity"  # a metallic taste at the time-out: the clinician sees the patient and clears it

OVER_GRAMS_AMOUNT = 24  # g of LMX4, over its 20 g
OVER_GRAMS_REASON = (
    "Whole face with deep scarring: 24 g of LMX4 needed for an even layer. Adult of 92 kg, skin "
    "intact, not covered; gel off within the hour and the toxicity check asked before the laser."
)
EARLY_REASON = (
    "Brought forward a week: the patient starts work abroad next month. Skin fully healed, "
    "no sun or tan since the last session; agreed with the patient."
)
EXTENSION_REASON = (
    "Deep rolling scars on the cheeks about half improved after 3 sessions; a fourth agreed "
    "with the patient to finish them."
)
# Registration details a nurse adds at the consultation: shown beside the anaesthetic-allergy question.
ALLERGIES = {"Pritchard": "Penicillin (rash)", "Okoye": "Elastoplast plasters (itchy rash)"}

UNPAINTED_AREA = "Chin"
UNPAINTED_REASON = (
    "One deep scar on the chin, which was not painted. Test pulses there were tolerated; "
    "the patient chose to have it treated today without the gel."
)

OVERRIDE_REASON = (
    "Skin type V. Test patch at the consultation two weeks ago healed without pigment change; "
    "lower energy and density agreed with the patient."
)
NOTE_TEXT = "Pinpoint bleeding on the left cheek; stopped with gentle pressure within two minutes."
ABORT_REASON = "Patient felt faint before gel; rebooked."
ADVERSE_EVENT = {
    "adverse": "Yes (describe below)",
    "description": "Small blister on the right cheek after the full-beam pass.",
    "kinds": ["Blistering"],
    "severity": "Mild",
    "action": "Cooled with saline compresses; Stratamed applied; told not to burst it.",
    "follow_up": "Follow-up needed",
}
ADVERSE_REASON = "Blister reviewed: superficial, aftercare explained; the nurse calls in two days."
# The follow-up calls (procedure 1.5's [follow_up] form), two days after the treatment.
CALL_WITH_A_COMPLICATION = {
    "contact": "Spoke to the patient",
    "complication": "Yes",
    "kinds": ["Blistering", "Infection"],
    "severity": "Moderate",
    "action": "Seen by Dr Haddad the same afternoon: antibiotic cream; review in one week.",
    "follow_up": "Follow-up needed",
    "note": "The blister burst and weeps yellow fluid; the cheek is warm.",
}
CALL_WITH_NONE = {"contact": "Spoke to the patient", "complication": "No", "note": "Peeling as expected."}
CALL_AT = "11:00"

# The three sessions running now, by how far they have got.
NUMBING = "numbing"
READY = "ready"
LASER_ROOM = "laser room"
LASER_ROOM_GEL_MINUTES = 78  # how long ago the laser room's patient had the gel on


@dataclass(frozen=True)
class Visit:
    """One past session: when (weeks before today, UTC clock time) and the laser settings used."""

    weeks_ago: int
    at: str
    energy_mj: float = 0
    density_pct: float = 0
    fluence_j_cm2: float = 0
    twist: str = ""
    # A recent visit (weeks_ago 0): this many days ago, a weekend too, so that a follow-up call is
    # due on the day the demo is built.
    days_ago: int = 0


@dataclass(frozen=True)
class Course:
    """A patient's course of treatment: their answers at sign-in, their areas and their visits."""

    family_name: str
    skin_type: str
    areas: tuple[str, ...]
    visits: tuple[Visit, ...]
    planned: int = 3
    isotretinoin: str = "Never"
    cold_sores: str = "No history of cold sores"
    gel: str = LMX4
    covered: str = "No"
    extended_to: int = 0  # at the last planned session, a clinician extends the course to this many
    cool_air: str = "Accepted"
    tube: str = "Sold"
    today: str = ""
    laser: Laser = FOTONA


# Visits of one patient are 5 weeks apart (4 to 6 once moved off weekends), but for one brought
# forward with a clinician's override; settings stay within the clinic's limits and rise gently through
# a course, lower for darker skin types. O'Brien's and Sharma's courses end at session 3 of 3;
# Wiśniewski's is extended to 4 at its third.
COURSES = (
    Course(
        "O'Brien",
        "II",
        ("Forehead", "Cheeks", "Temples"),
        (
            Visit(20, "09:30", 30, 15, 4.0),
            Visit(15, "10:00", 35, 15, 4.5),
            Visit(10, "09:30", 40, 20, 5.0, NOTE),
        ),
        covered="Yes",
    ),
    Course(
        "Sharma",
        "IV",
        ("Cheeks", "Chin", "Jaw line"),
        (
            Visit(22, "11:00", 20, 10, 3.0),
            Visit(17, "11:00", 25, 10, 3.5),
            Visit(12, "11:30", 30, 12, 4.0, CALLED),
        ),
        cold_sores="History, antiviral started",
        gel=LIDOCAINE_PRILOCAINE,
        tube="Recommended, declined",
        laser=DERMABLATE,
    ),
    Course(
        "Dubois",
        "II",
        ("Forehead", "Cheeks", "Nose"),
        (Visit(9, "13:30", twist=ABORTED), Visit(8, "13:30", 35, 15, 5.0)),
    ),
    Course(
        "Wiśniewski",
        "III",
        ("Forehead", "Cheeks", "Nose", "Chin"),
        (
            Visit(17, "14:30", 35, 15, 5.0, OVER_GRAMS),
            Visit(12, "15:00", 40, 18, 5.5),
            Visit(7, "10:00", 45, 20, 6.0, ADVERSE),
        ),
        isotretinoin="More than 6 months ago",
        extended_to=4,
        laser=DERMABLATE,
    ),
    Course(
        "Nuñez",
        "III",
        ("Cheeks", "Temples", "Jaw line"),
        (Visit(10, "11:00", 40, 15, 5.0, TOXICITY), Visit(5, "11:30", 45, 18, 5.5)),
        today=LASER_ROOM,
    ),
    Course(
        "McKenzie",
        "I",
        ("Cheeks", "Temples", "Jaw line"),
        (Visit(10, "14:00", 50, 20, 6.5, CORRECTION), Visit(5, "14:30", 55, 22, 7.0)),
        planned=4,
        covered="Yes",
        today=READY,
    ),
    Course(
        "Pritchard",
        "I",
        ("Forehead", "Cheeks"),
        (Visit(6, "09:30", 45, 20, 6.0),),
        today=NUMBING,
        laser=DERMABLATE,
    ),
    Course(
        "Okoye",
        "V",
        ("Cheeks", "Chin"),
        (Visit(4, "13:30", 20, 10, 3.0, OVERRIDE),),
        cool_air="Declined",
        laser=DERMABLATE,
    ),
    Course(
        "Llewellyn",
        "II",
        ("Forehead", "Cheeks", "Chin"),
        (Visit(7, "10:30", 35, 15, 4.5, PHOTOS_REFUSED), Visit(4, "10:00", 40, 18, 5.0, EARLY)),
    ),
    Course(
        "Bjørk",
        "I",
        ("Cheeks", "Nose"),
        (Visit(3, "15:00", 40, 20, 5.5, UNPAINTED),),
        planned=2,
        gel=LIDOCAINE_PRILOCAINE,
        cool_air="Declined",
        tube="Recommended, declined",
        laser=DERMABLATE,
    ),
    # Treated two days ago and not called yet: the Follow-up calls page lists her today.
    Course("Fraser", "II", ("Forehead", "Cheeks"), (Visit(0, "10:30", 35, 15, 4.5, days_ago=2),)),
)

# Minutes from the start of a session to the 'gel applied' tick: sign-in and painting fit within it.
GEL_AFTER_START = 25
NEXT_SESSION_WEEKS = 5
STAFF_WEEKS_AGO = 30
REGISTERED_BEFORE_FIRST_VISIT = timedelta(days=14)


# The clinic's details as its administrator fills them in on the first day, so that the demo's aftercare
# sheets print (they are refused without the lines to call). The numbers are from Ofcom's range kept
# for drama: they ring nobody.
CLINIC_ADDRESS = "1 Park Row, Leeds LS1 5AB"
CONTACT_LINE = "Questions or worries? Call us on 0113 496 0123, 9am to 6pm, Monday to Saturday"
OUT_OF_HOURS_LINE = "When we are closed, call our on-call nurse on 0113 496 0999, or 999 in an emergency"

# --- building --------------------------------------------------------------------------------------


class _OnceEachArgon2(Argon2Hasher):
    """The real cost, paid once per secret: every demo account shares the password and PIN printed
    in the summary, so one hash of each serves them all, and a check already made is remembered. A
    demo's 20 signed sessions each check a PIN: at 0.4 s a check, that was 11 of the demo's 16 s."""

    def __init__(self, cost: HashCost) -> None:
        super().__init__(cost)
        self._hashes: dict[str, str] = {}
        self._checked: dict[tuple[str, str], bool] = {}

    def hash(self, secret: str) -> str:
        if secret not in self._hashes:
            self._hashes[secret] = super().hash(secret)
        return self._hashes[secret]

    def matches(self, stored_hash: str, secret: str) -> bool:
        if (stored_hash, secret) not in self._checked:
            self._checked[stored_hash, secret] = super().matches(stored_hash, secret)
        return self._checked[stored_hash, secret]


def _demo_hasher() -> SecretHasher:
    hasher = SecretHasher()
    hasher.password = _OnceEachArgon2(hasher.password.cost)
    hasher.pin = _OnceEachArgon2(hasher.pin.cost)
    return hasher


def build_demo(url: str, hasher: SecretHasher | None = None) -> str:
    """Fill the new database at `url` with a demo clinic; return a one-paragraph summary.

    All of it is written in one outer transaction (each Desk action becomes a savepoint inside it),
    so a failure half-way leaves the database as empty as it was, and the demo can simply be run again.
    `hasher`: tests pass a cheap one; the demo's accounts otherwise get the real cost, as any account
    (each secret hashed once: see _OnceEachArgon2).
    """
    where = shown_name(url)
    db = open_database(url)
    try:
        now = SystemClock().now()
        clock = ManualClock(now)
        desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock, hasher or _demo_hasher())
        with db.atomic():
            if desk.accounts.list_staff() or desk.patients.search_patients("", limit=1):
                raise ActionRefused(
                    f"{where} already holds staff or patients. The demo only fills a new, empty database, "
                    "so that training data never mixes with real records: choose a new one with --db."
                )
            ClinicSetting.create(key=DEMO_SETTING, value="training data only")
            sealed = [(ClinicSetting, DEMO_SETTING)]
            write_audit(db, now, None, "marked as a training demo", "clinic_setting", None, sealed=sealed)
            summary = _DemoBuilder(desk, clock, now).build()
    finally:
        db.close()
    return f"Demo database created at {where}: {summary} It is training data: never use it for real patients."


def _clinic_day(today: date, weeks_ago: int, days_before: timedelta = timedelta(0)) -> date:
    """A weekday `weeks_ago` weeks before today: Saturdays move back to Friday, Sundays on to Monday."""
    day = today - timedelta(weeks=weeks_ago) - days_before
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _at(day: date, clock_time: str) -> datetime:
    """A clinic time on a day, in the PC's own time zone (09:30 is 09:30 on screen, summer or winter)."""
    return datetime.combine(day, time.fromisoformat(clock_time)).astimezone()


def _birth_date(today: date, age: int, birthday: tuple[int, int]) -> date:
    born = date(today.year - age, *birthday)
    if birthday > (today.month, today.day):
        born = born.replace(year=born.year - 1)
    return born


class _DemoBuilder:
    """Walks the demo clinic's history through a Desk, setting the clock before every action."""

    def __init__(self, desk: Desk, clock: ManualClock, now: datetime) -> None:
        self.desk = desk
        self.clock = clock
        self.now = now
        self.today = now.date()
        # A fixed seed: the small gaps between ticks vary like real work, yet each build is alike.
        self.gaps = random.Random(2026)
        self.nurses: list[Staff] = []
        self.clinician: Staff | None = None
        self.administrator: Staff | None = None
        self.operators: list[Staff] = []  # the authorised laser operators
        self.devices: dict[Laser, int] = {}  # each laser's id in the register
        self.patients: dict[str, Patient] = {}
        self.registered_on: dict[str, date] = {}  # the consultation's day, by family name
        self.signed_out = 0
        self.aborted = 0
        self.checks = 0
        self.photos = 0
        self.consents = 0
        self.calls: list[tuple[datetime, int, dict[str, Any], Staff]] = []  # follow-ups still to make

    def build(self) -> str:
        self.add_staff()
        self.fill_in_clinic_details()
        self.register_lasers()
        self.register_patients()
        # Past visits in the order they happened, day by day, the two nurses taking turns.
        past = sorted(
            ((self.visit_start(visit), course, visit) for course in COURSES for visit in course.visits),
            key=lambda entry: entry[0],
        )
        nurses = cycle(self.nurses)
        for day, visits in groupby(past, key=lambda entry: local_today(entry[0])):
            booked = list(visits)
            self.make_calls(before=booked[0][0])
            self.check_lasers(day, booked[0][0], {course.laser for _start, course, _visit in booked})
            for start, course, visit in booked:
                self.past_session(course, visit, start, next(nurses))
        running = {course.today: course for course in COURSES if course.today}
        # The patient in the laser room came first. Today's sessions follow the real time: if that was
        # before midnight, the lasers were checked yesterday too.
        first_start = self.now - timedelta(minutes=LASER_ROOM_GEL_MINUTES + GEL_AFTER_START)
        self.make_calls(before=first_start)
        for day in sorted({local_today(first_start), local_today(self.now)}):
            self.check_lasers(day, first_start, {course.laser for course in running.values()})
        today = [
            self.laser_room(running[LASER_ROOM]),
            self.ready_for_laser(running[READY]),
            self.numbing(running[NUMBING]),
        ]
        return self.summary(*today)

    def summary(self, laser_room: SessionRecord, ready: SessionRecord, numbing: SessionRecord) -> str:
        """What a trainer needs to know to start: who works here, what is on the board right now."""
        assert self.clinician is not None
        staff = ", ".join(f"{name} ({role})" for name, _initials, role in STAFF)
        operators = " and ".join(name for name, initials, _role in STAFF if initials in LASER_OPERATORS)
        weeks = max(visit.weeks_ago for course in COURSES for visit in course.visits)
        lasers = " and ".join(f"{laser.make} {laser.model}" for laser in LASERS)
        soonest = min(LASERS, key=lambda laser: laser.service_in_days)
        countdown = numbing.state(self.now).countdown
        minutes_left = round(countdown.remaining(self.now).total_seconds() / 60) if countdown else 0
        return (
            f"{len(STAFF)} staff ({staff}), each with password '{DEMO_PASSWORD}' and PIN {DEMO_PIN} "
            f"(authorised laser operators: {operators}; the other nurse is not one); "
            f"{len(LASERS)} registered lasers ({lasers}; the {soonest.model}'s service is due in "
            f"{soonest.service_in_days} days) with {self.checks} daily pre-use checks, one of them failed "
            f"{FAILED_CHECK.weeks_ago} weeks ago; "
            f"{len(self.patients)} patients; {self.signed_out} signed-out sessions "
            f"for {len(COURSES)} of them over the last {weeks} weeks, with clinicians' overrides, "
            f"a note, a correction and an adverse event among them, and {self.aborted} aborted session; "
            "two follow-up calls after sign-out, one finding a complication, and a patient to call today; "
            f"{self.photos} synthetic clinical photos of "
            f"{self.patients[DEMO_PHOTO_PATIENT].full_name}'s course; "
            f"{self.consents} consents signed on the pad (one refusing photos, one since withdrawn); "
            f"and 3 sessions in progress now: {numbing.patient.full_name} numbing "
            f"({minutes_left} minutes left), {ready.patient.full_name} ready for the laser room, "
            f"{laser_room.patient.full_name} in the laser room."
        )

    # --- people ------------------------------------------------------------------------------------

    def add_staff(self) -> None:
        """Staff join first: every later action needs a known member of staff."""
        self.clock.set(_at(_clinic_day(self.today, STAFF_WEEKS_AGO), "08:30"))
        for name, initials, role in STAFF:
            by = self.administrator.id if self.administrator else None
            member = self.desk.accounts.add_staff(name, initials, role, DEMO_PASSWORD, DEMO_PIN, by)
            self.clock.advance(minutes=2)
            if member.role is Role.ADMINISTRATOR:
                self.administrator = member
                continue
            if member.is_clinician:
                self.clinician = member
            else:
                self.nurses.append(member)
            if initials in LASER_OPERATORS:
                assert self.administrator is not None
                trained_on = self.clock.now().date() - timedelta(weeks=6)
                expires_on = self.today + timedelta(days=365)
                self.desk.operators.grant_laser_authorisation(
                    member.id, trained_on, expires_on, self.administrator.id
                )
                self.operators.append(member)

    def fill_in_clinic_details(self) -> None:
        """The administrator's first task: what every printed page and the patients' sheets say."""
        assert self.administrator is not None
        self.clock.advance(minutes=2)
        details = checked_clinic_details(
            ClinicDetails().name, CLINIC_ADDRESS, CONTACT_LINE, "A4", out_of_hours_line=OUT_OF_HOURS_LINE
        )
        self.desk.clinic.update_clinic_details(details, self.administrator.id)

    def register_lasers(self) -> None:
        """The administrator registers the clinic's lasers the morning the staff join: every
        session's time-out and passes name one of them."""
        assert self.administrator is not None
        for laser in LASERS:
            self.clock.advance(minutes=3)
            self.devices[laser] = self.desk.devices.register_device(
                laser.entered(self.today), self.administrator.id
            ).id

    def check_lasers(self, day: date, first_start: datetime, lasers: Collection[Laser]) -> None:
        """An operator checks each laser the day's patients are booked on, first thing: at 08:30, or
        before the first session when that is earlier (today's follow the real time), but on the day."""
        midnight = datetime.combine(day, time()).astimezone()
        self.clock.set(max(midnight, min(_at(day, CHECKS_AT), first_start - CHECKS_BEFORE_FIRST_SESSION)))
        operator = self.operators[day.toordinal() % len(self.operators)]  # the operators take turns
        failing = FAILED_CHECK.laser if day == _clinic_day(self.today, FAILED_CHECK.weeks_ago) else None
        for laser in (laser for laser in LASERS if laser in lasers):
            failed_item = FAILED_CHECK.item if laser == failing else None
            answers = {item.id: item.id != failed_item for item in self.desk.pre_use_checklist.items}
            note = FAILED_CHECK.note if failed_item else ""
            self.desk.device_checks.record_pre_use_check(self.devices[laser], answers, note, operator.id)
            self.checks += 1
            self.clock.advance(minutes=CHECK_MINUTES)

    def laser_for(self, course: Course) -> int:
        """The patient's own laser (the app offers the one used last time), or the other one on a day
        their own failed its check and is out of use."""
        device_id = self.devices[course.laser]
        if self.desk.device_checks.device_use(device_id).out_of_use:
            return next(other for other in self.devices.values() if other != device_id)
        return device_id

    def register_patients(self) -> None:
        """Patients on a course are registered at a consultation two weeks before their first visit;
        the others are spread over the last months, as enquiries and consultations come in."""
        first_visit = {
            course.family_name: _at(
                _clinic_day(self.today, course.visits[0].weeks_ago, REGISTERED_BEFORE_FIRST_VISIT), "16:00"
            )
            for course in COURSES
        }
        registrations = []
        for index, (given, family, age, birthday) in enumerate(PATIENTS):
            day = _clinic_day(self.today, 2 + (index * 7) % 25)
            when = first_visit.get(family, _at(day, "16:00")).replace(minute=index % 4 * 15)
            number = f"AZ-{FIRST_CLINIC_NUMBER + index * 3:05d}"
            registrations.append((when, given, family, _birth_date(self.today, age, birthday), number))
        for when, given, family, born, number in sorted(registrations):
            self.clock.set(when)
            nurse = self.nurses[len(self.patients) % len(self.nurses)]
            self.patients[family] = self.desk.patients.register_patient(given, family, born, number, nurse.id)
            self.registered_on[family] = local_today(when)
            if family in ALLERGIES:  # asked at the consultation, added to the registration
                self.clock.advance(minutes=3)
                changes: dict[str, object] = {"allergies": ALLERGIES[family]}
                self.patients[family] = self.desk.patients.update_patient(
                    self.patients[family].id, changes, nurse.id
                )

    # --- one session, step by step -----------------------------------------------------------------

    def visit_start(self, visit: Visit) -> datetime:
        if visit.days_ago:
            return _at(self.today - timedelta(days=visit.days_ago), visit.at)
        return _at(_clinic_day(self.today, visit.weeks_ago), visit.at)

    def tick(
        self, record: SessionRecord, item_id: str, values: dict[str, Any], staff: Staff
    ) -> SessionRecord:
        """A tick a minute or two after the last action, as at a real desk; the laser items by the
        laser operator when the nurse is not one."""
        self.clock.advance(minutes=self.gaps.randint(1, 2))
        return self.desk.sessions.tick(record.id, item_id, values, self.operator_for(staff, item_id).id)

    def operator_for(self, nurse: Staff, item_id: str) -> Staff:
        """The nurse, or the laser operator for an item the nurse is not authorised to tick."""
        if self.desk.operators.may_tick(nurse.id, item_id) is None:
            return nurse
        return self.operators[0]

    def all_no(self, item_id: str) -> dict[str, str]:
        """'No' to each question of a screening item: the demo's patients have none of the risks."""
        return {field.id: "No" for field in self.desk.procedure.item(item_id).fields}

    def clinician_overrides(self, record: SessionRecord, item_id: str, reason: str) -> None:
        """The clinician comes to the desk, reads the flag and lets the session go on, with a reason."""
        assert self.clinician is not None
        self.clock.advance(minutes=3)
        self.desk.sessions.override(
            record.id, item_id, reason, self.clinician.id, self.clinician.id, DEMO_PIN
        )

    def skin_type(self, record: SessionRecord, course: Course) -> dict[str, Any]:
        """The skin type; at a first session of skin type IV to VI, the test patch done at the
        consultation (the day the patient was registered) and its result."""
        values: dict[str, Any] = {"fitzpatrick": course.skin_type}
        if (
            course.skin_type in self.desk.procedure.item("skin_type").test_patch_for
            and record.session_number == 1
        ):
            values["test_patch_date"] = self.registered_on[course.family_name].isoformat()
            values["test_patch_result"] = TEST_PATCH_RESULT
        return values

    def sign_in(self, record: SessionRecord, course: Course, nurse: Staff, twist: str) -> SessionRecord:
        """Read-do with the patient; a flagged skin type, or a session sooner than 4 weeks after the
        last, waits for the clinician's written reason."""
        medication: dict[str, Any] = {"isotretinoin": course.isotretinoin, "cold_sores": course.cold_sores}
        if course.isotretinoin == "More than 6 months ago":
            medication["isotretinoin_last_dose"] = (self.clock.now().date() - timedelta(days=430)).isoformat()
        self.tick(record, "identity", {"second_identifier": "Date of birth"}, nurse)
        self.consent(record, course, nurse)
        self.tick(record, "course_interval", {}, nurse)
        if twist == EARLY:
            self.clinician_overrides(record, "course_interval", EARLY_REASON)
        self.tick(record, "skin_type", self.skin_type(record, course), nurse)
        if twist == OVERRIDE:
            self.clinician_overrides(record, "skin_type", OVERRIDE_REASON)
        self.tick(record, "medication_history", medication, nurse)
        self.tick(record, "contraindications", self.all_no("contraindications"), nurse)
        photos = "Refused by patient" if twist == PHOTOS_REFUSED else "Taken"
        self.import_photos(record, course, "before", nurse)
        return self.tick(record, "photos", {"photos": photos}, nurse)

    def consent(self, record: SessionRecord, course: Course, nurse: Staff) -> None:
        """At the first session the patient reads the form and signs on the pad, the nurse witnessing
        with her PIN (which ticks the consent item); later, the nurse ticks it for the consent in force."""
        consents = self.desk.consents
        in_force = consents.consent_in_force(record.patient.id)
        if in_force is not None:
            self.tick(record, "consent", {"form_version": in_force.form_version}, nurse)
            return
        self.clock.advance(minutes=self.gaps.randint(1, 2))
        photos_allowed = not any(visit.twist == PHOTOS_REFUSED for visit in course.visits)
        signature = scribble(record.patient.id)  # a formula's scribble, nobody's signature
        version = consents.current_form().version
        consents.sign(record.patient.id, record.id, version, signature, photos_allowed, nurse.id, DEMO_PIN)
        self.consents += 1

    def import_photos(self, record: SessionRecord, course: Course, stage: str, nurse: Staff) -> None:
        """The demo patient's photos of this stage of the session, as a nurse imports them."""
        if course.family_name != DEMO_PHOTO_PATIENT or record.session_number > DEMO_PHOTO_SESSIONS:
            return
        width, height = DEMO_PHOTO_SIZE
        for photo_stage, view in DEMO_PHOTOS:
            if photo_stage != stage:
                continue
            name = demo_photo_name(record.session_number, stage, view)
            jpeg = resource_path(f"demo/photos/{name}.jpg").read_bytes()
            thumbnail = resource_path(f"demo/photos/{name}.thumbnail.jpg").read_bytes()
            self.clock.advance(minutes=1)
            self.desk.photos.add(
                record.id, view, stage, jpeg, thumbnail, width, height, f"{name}.jpg", nurse.id
            )
            self.photos += 1

    def anaesthetic(
        self, record: SessionRecord, course: Course, nurse: Staff, gel_at: datetime, twist: str = ""
    ) -> SessionRecord:
        """Paint the gel, weighed by the areas (more, overridden, with the over-grams twist); the
        'gel applied' tick lands exactly at `gel_at`, which starts the countdown."""
        grams = OVER_GRAMS_AMOUNT if twist == OVER_GRAMS else GRAMS_PER_AREA[course.gel] * len(course.areas)
        product = {"product": course.gel, "grams": grams, "covered": course.covered}
        self.tick(record, "gel_product", product, nurse)
        if twist == OVER_GRAMS:
            self.clinician_overrides(record, "gel_product", OVER_GRAMS_REASON)
        self.tick(record, "gel_areas", {"areas": list(course.areas)}, nurse)
        self.tick(record, "gel_clear_of_eyes", {}, nurse)
        assert self.clock.now() < gel_at, "the steps before the gel take longer than planned"
        self.clock.set(gel_at)
        return self.desk.sessions.tick(record.id, "gel_applied", {}, nurse.id)

    def time_out(
        self,
        record: SessionRecord,
        course: Course,
        nurse: Staff,
        starts_at: datetime,
        device_id: int,
        twist: str = "",
    ) -> SessionRecord:
        """In the laser room, once the gel has worked: one minute per item, read aloud; the laser is
        chosen with the staff's eyewear for it. With the toxicity twist the patient first has a
        metallic taste: the clinician sees them and clears the stop, and the check is asked again."""
        self.clock.set(starts_at)
        done = self.toxicity_cleared(record, nurse) if twist == TOXICITY else ()
        for item_id, values in (
            ("identity_read_back", {}),
            ("gel_removed", {}),
            ("anaesthetic_toxicity", self.all_no("anaesthetic_toxicity")),
            ("patient_eye_protection", {"type": "External eye shields"}),
            ("staff_eyewear", {"device": device_id}),
            ("cool_air", {"cool_air": course.cool_air}),
            ("settings_read_back", {}),
        ):
            if item_id in done:
                continue
            record = self.desk.sessions.tick(record.id, item_id, values, self.operator_for(nurse, item_id).id)
            self.clock.advance(minutes=1)
        return record

    def toxicity_cleared(self, record: SessionRecord, nurse: Staff) -> tuple[str, ...]:
        """Identity and gel off, then a metallic taste: the laser stops until the clinician has seen
        the patient and cleared it. Returns the items ticked."""
        ticked = ("identity_read_back", "gel_removed")
        for item_id in ticked:
            self.desk.sessions.tick(record.id, item_id, {}, nurse.id)
            self.clock.advance(minutes=1)
        signs = {**self.all_no("anaesthetic_toxicity"), TOXICITY_SIGN: "Yes"}
        self.desk.sessions.tick(record.id, "anaesthetic_toxicity", signs, nurse.id)
        assert self.clinician is not None
        self.clock.advance(minutes=15)
        self.desk.sessions.clear_stop(
            record.id, "anaesthetic_toxicity", TOXICITY_CLEARED, self.clinician.id, nurse.id, DEMO_PIN
        )
        self.clock.advance(minutes=1)
        return ticked

    def fractional_pass(
        self, record: SessionRecord, values: dict[str, Any], nurse: Staff, twist: str
    ) -> None:
        """The fractional pass; with the correction twist the density is first mistyped, then put right."""
        self.clock.advance(minutes=self.gaps.randint(6, 9))
        if twist == CORRECTION:
            typo = values["density_pct"] - 10
            self.desk.sessions.tick(
                record.id,
                "fractional_pass",
                {**values, "density_pct": typo},
                self.operator_for(nurse, "fractional_pass").id,
            )
            self.clock.advance(minutes=1)
            reason = f"Density typed as {typo:.0f} %; the laser was set to {values['density_pct']:.0f} %."
            self.desk.sessions.correct(
                record.id, "fractional_pass", reason, self.operator_for(nurse, "fractional_pass").id
            )
        self.desk.sessions.tick(
            record.id, "fractional_pass", values, self.operator_for(nurse, "fractional_pass").id
        )

    def laser(
        self, record: SessionRecord, course: Course, visit: Visit, nurse: Staff, device_id: int
    ) -> None:
        """Both passes with the laser chosen at the time-out, then the skin's response."""
        areas = list(course.areas)
        fractional = {
            "device": device_id,
            "energy_mj": visit.energy_mj,
            "density_pct": visit.density_pct,
            "passes": 2,
            "areas": areas,
        }
        self.fractional_pass(record, fractional, nurse, visit.twist)
        self.clock.advance(minutes=self.gaps.randint(6, 9))
        full_beam = {
            "device": device_id,
            "beam_mm": 7,
            "fluence_j_cm2": visit.fluence_j_cm2,
            "passes": 1,
            "areas": areas + [UNPAINTED_AREA] if visit.twist == UNPAINTED else areas,
        }
        self.desk.sessions.tick(
            record.id, "full_beam_pass", full_beam, self.operator_for(nurse, "full_beam_pass").id
        )
        if visit.twist == UNPAINTED:
            assert self.clinician is not None
            self.clock.advance(minutes=2)
            self.desk.sessions.override(
                record.id, "full_beam_pass", UNPAINTED_REASON, self.clinician.id, self.clinician.id, DEMO_PIN
            )
        response = "Pinpoint bleeding" if visit.twist == NOTE else "Expected redness"
        self.tick(record, "skin_response", {"response": response}, nurse)
        if visit.twist == NOTE:
            self.clock.advance(minutes=2)
            self.desk.sessions.add_note(record.id, "skin_response", NOTE_TEXT, nurse.id)
        if visit.twist == ADVERSE:
            assert self.clinician is not None
            self.tick(record, "adverse_events", ADVERSE_EVENT, nurse)
            self.clock.advance(minutes=3)
            self.desk.sessions.override(
                record.id, "adverse_events", ADVERSE_REASON, self.clinician.id, self.clinician.id, DEMO_PIN
            )
        else:
            self.tick(record, "adverse_events", {"adverse": "None"}, nurse)

    def sign_out(self, record: SessionRecord, course: Course, nurse: Staff) -> SessionRecord:
        """Healing gel, aftercare, the next visit (none once the course is complete: the last planned
        session, unless the clinician extends the course there, with a reason), then the signature."""
        planned = course.planned
        next_session: dict[str, Any] = {}
        if course.extended_to and record.session_number >= course.planned:
            planned = course.extended_to
            next_session["extension_reason"] = EXTENSION_REASON
        next_session["planned_sessions"] = planned
        if record.session_number < planned:
            next_date = self.clock.now().date() + timedelta(weeks=NEXT_SESSION_WEEKS)
            next_session["next_date"] = next_date.isoformat()
        self.tick(record, "stratamed", {"tube": course.tube}, nurse)
        self.clock.advance(minutes=2)
        self.tick(record, "aftercare", {}, nurse)
        self.tick(record, "next_session", next_session, nurse)
        self.clock.advance(minutes=self.gaps.randint(1, 2))
        operator = self.operator_for(nurse, "operator_sign_out")
        signed = self.desk.sessions.sign_out(record.id, operator.id, DEMO_PIN)
        self.import_photos(record, course, "after", nurse)
        return signed

    # --- whole sessions ----------------------------------------------------------------------------

    def start(self, course: Course, at: datetime, nurse: Staff) -> SessionRecord:
        self.clock.set(at)
        return self.desk.sessions.start_session(self.patients[course.family_name].id, nurse.id)

    def past_session(self, course: Course, visit: Visit, start: datetime, nurse: Staff) -> None:
        """A whole past visit, start to signature, or to the abort when the patient could not go on."""
        record = self.start(course, start, nurse)
        self.sign_in(record, course, nurse, visit.twist)
        if visit.twist == ABORTED:
            self.clock.advance(minutes=4)
            self.desk.sessions.abort(record.id, ABORT_REASON, nurse.id)
            self.aborted += 1
            return
        gel_at = start + timedelta(minutes=GEL_AFTER_START)
        self.anaesthetic(record, course, nurse, gel_at, visit.twist)
        self.acknowledge_ready(record, gel_at, nurse)
        device_id = self.laser_for(course)
        laser_room_at = gel_at + timedelta(minutes=60 + self.gaps.randint(2, 10))
        self.time_out(record, course, nurse, laser_room_at, device_id, visit.twist)
        self.laser(record, course, visit, nurse, device_id)
        self.sign_out(record, course, nurse)
        self.signed_out += 1
        if course.family_name == WITHDRAWS_CONSENT and visit is course.visits[-1]:
            self.clock.advance(minutes=20)
            signed = self.desk.consents.consent_in_force(record.patient.id)
            assert signed is not None
            self.desk.consents.withdraw(signed.id, WITHDRAWAL_REASON, nurse.id)
        if visit.twist in (ADVERSE, CALLED):
            values = CALL_WITH_A_COMPLICATION if visit.twist == ADVERSE else CALL_WITH_NONE
            self.calls.append((self.call_time(start), record.id, values, nurse))

    def call_time(self, treated_at: datetime) -> datetime:
        """Two days after the treatment (three when that is a Sunday: the clinic is closed)."""
        day = local_today(treated_at) + timedelta(days=2)
        return _at(day + timedelta(days=1) if day.weekday() == 6 else day, CALL_AT)

    def make_calls(self, before: datetime) -> None:
        """The follow-up calls due before `before`, in time order, so the history stays in order."""
        due = sorted((call for call in self.calls if call[0] < before), key=lambda call: call[0])
        for at, session_id, values, nurse in due:
            self.clock.set(at)
            self.desk.sessions.record_follow_up(session_id, values, nurse.id)
            self.calls.remove((at, session_id, values, nurse))

    def acknowledge_ready(self, record: SessionRecord, gel_at: datetime, nurse: Staff) -> None:
        """The board's 'ready' alert, seen by the nurse a minute after it sounded."""
        self.clock.set(gel_at + timedelta(minutes=self.desk.procedure.ready_minutes + 1))
        self.desk.sessions.acknowledge_alert(record.id, AlertKind.READY, nurse.id)

    def prepared(self, course: Course, gel_minutes_ago: int, nurse: Staff) -> SessionRecord:
        """Today's session of a returning patient, signed in, with gel on since `gel_minutes_ago`."""
        gel_at = self.now - timedelta(minutes=gel_minutes_ago)
        record = self.start(course, gel_at - timedelta(minutes=GEL_AFTER_START), nurse)
        self.sign_in(record, course, nurse, "")
        return self.anaesthetic(record, course, nurse, gel_at)

    def numbing(self, course: Course) -> SessionRecord:
        """Gel on 20 minutes ago: the board counts down about 40 minutes."""
        return self.prepared(course, 20, self.nurses[0])

    def ready_for_laser(self, course: Course) -> SessionRecord:
        """Gel on 65 minutes ago: ready for the laser room, nothing of the time-out done yet."""
        return self.prepared(course, 65, self.nurses[0])

    def laser_room(self, course: Course) -> SessionRecord:
        """Gel on 78 minutes ago, time-out done, fractional pass done with last time's settings
        (prefilled, as the app does) and a little more energy; the full-beam pass is next."""
        nurse = self.nurses[1]
        record = self.prepared(course, LASER_ROOM_GEL_MINUTES, nurse)
        self.acknowledge_ready(record, self.now - timedelta(minutes=LASER_ROOM_GEL_MINUTES), nurse)
        device_id = self.laser_for(course)
        self.time_out(record, course, nurse, self.now - timedelta(minutes=16), device_id)
        _, previous = self.desk.sessions.previous_values(record)
        fractional = previous["fractional_pass"] | {"device": device_id}  # as chosen at the time-out
        fractional["energy_mj"] = min(fractional["energy_mj"] + 5, 60)
        self.clock.set(self.now - timedelta(minutes=5))
        return self.desk.sessions.tick(
            record.id, "fractional_pass", fractional, self.operator_for(nurse, "fractional_pass").id
        )
