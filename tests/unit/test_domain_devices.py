"""Laser devices: what an administrator may type about one, and what counts as a change (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from desk_app.domain.devices import (
    DeviceDetails,
    changed_device_fields,
    check_device,
    wavelengths_text,
)
from desk_app.domain.errors import ValidationError

TODAY = date(2026, 11, 25)
ERBIUM = {
    "make": "Fotona",
    "model": "SP Dynamis",
    "serial_number": " sp-12345 ",
    "wavelengths_nm": "2940",
    "laser_class": "4",
    "eyewear_marking": 'EN 207 "D 2940 LB5"',
    "lpa_name": "Dr Lisa Adviser",
    "next_service_on": "01/06/2027",
}


def device(**changes: object) -> DeviceDetails:
    return check_device(ERBIUM | changes, TODAY)


def test_a_device_is_read_as_typed_with_serial_number_and_class_in_capitals() -> None:
    assert device(laser_class="class 3b", eyewear_marking="  D 2940 LB5 ") == DeviceDetails(
        make="Fotona",
        model="SP Dynamis",
        serial_number="SP-12345",
        wavelengths_nm=(2940,),
        laser_class="3B",
        eyewear_marking="D 2940 LB5",
        lpa_name="Dr Lisa Adviser",
        next_service_on=date(2027, 6, 1),
    )
    assert device().name == "Fotona SP Dynamis (serial SP-12345)"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2940", (2940,)),
        ("1064, 532", (532, 1064)),
        ("532 nm / 1064 nm", (532, 1064)),
        ("1064nm and 532nm; 1064", (532, 1064)),
        ("10,600", (10600,)),  # CO2, with a thousands comma
        ("10600 nm", (10600,)),
        ([2940, 1064], (1064, 2940)),
        ("190, 11000", (190, 11000)),
    ],
)
def test_wavelengths_are_whole_numbers_of_nm_however_they_are_separated(
    typed: object, read: tuple[int, ...]
) -> None:
    assert device(wavelengths_nm=typed).wavelengths_nm == read
    assert device(wavelengths_nm=wavelengths_text(read)).wavelengths_nm == read  # the history reads back


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", r"Wavelengths \(nm\): please fill this in \(for example 2940, or 532, 1064\)"),
        ("nm", "please fill this in"),
        ("1064.5", "'1064.5' is not a whole number of nm"),
        ("infrared", "'infrared' is not a whole number of nm"),
        ("-2940", "'-2940' is not a whole number of nm"),
        ("２９４０", "'２９４０' is not a whole number of nm"),  # full-width digits
        ("189", "189 nm is not a laser's wavelength \\(190 to 11,000 nm\\)"),
        ("10 600", "10 nm is not a laser's wavelength"),
        ("29400", "29400 nm is not"),
        ("400, 500, 600, 700, 800, 900, 1000", "at most 6"),
        ([True], "expected text"),
    ],
)
def test_absurd_wavelengths_are_refused(typed: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        device(wavelengths_nm=typed)


@pytest.mark.parametrize("typed", ["5", "3A", "IV", "class-4"])
def test_the_class_is_one_of_iec_60825(typed: str) -> None:
    with pytest.raises(ValidationError, match=r"Laser class must be one of 1, 1M, 2, 2M, 3R, 3B or 4"):
        device(laser_class=typed)


def test_eyewear_is_required_for_class_3b_and_4_only() -> None:
    for laser_class in ("3B", "4"):
        with pytest.raises(ValidationError, match=f'a class {laser_class} laser needs it.*"D 2940 LB5"'):
            device(laser_class=laser_class, eyewear_marking="  ")
    for laser_class in ("1", "1M", "2", "2M", "3R"):
        assert device(laser_class=laser_class, eyewear_marking="").eyewear_marking == ""


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("make", "", "Make: please fill this in"),
        ("model", "---", "Model must contain letters or digits"),
        ("model", "x" * 61, "Model is too long: 61 characters, at most 60"),
        ("make", "Fotona\u202e", "control character"),
        ("lpa_name", "   ", "Laser Protection Adviser \\(LPA\\): please fill this in"),
        ("lpa_name", "12345", "must contain letters"),
        ("eyewear_marking", "?!", "Eyewear marking must contain letters or digits"),
        ("serial_number", "  ", "Serial number: please fill this in"),
        ("serial_number", "SN#42", "Serial number: up to 40 letters, digits"),
        ("serial_number", "-42", "starting with a letter or a digit"),
        ("serial_number", "SN\n42", "Serial number: up to 40"),
        ("serial_number", "Ω42", "Serial number: up to 40"),
        ("serial_number", "A" * 41, "Serial number: up to 40"),
        ("next_service_on", "31/02/2027", "Next service date is not a real date"),
        ("next_service_on", "soon", "Next service date is not a real date"),
        ("next_service_on", "01/06/2207", "more than 3 years away"),
        ("next_service_on", "01/11/2025", "more than a year ago"),
        ("make", 42, "Make: expected text, got int"),
        ("colour", "red", "'colour' is not a detail of a laser device"),
    ],
)
def test_empty_or_absurd_details_are_refused_in_words(field: str, typed: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        device(**{field: typed})


def test_a_new_device_needs_every_detail() -> None:
    with pytest.raises(ValidationError, match="Make: please fill this in"):
        check_device({}, TODAY)


def test_an_overdue_service_date_is_entered_as_it_is_and_kept_on_a_later_change() -> None:
    overdue = device(next_service_on=date(2026, 1, 5))
    assert overdue.next_service_on == date(2026, 1, 5)
    a_year_on = date(2027, 3, 1)  # the date would be refused if typed today; kept, it is not
    corrected = check_device({"lpa_name": "Lasermet Ltd"}, a_year_on, before=overdue)
    assert (corrected.lpa_name, corrected.next_service_on) == ("Lasermet Ltd", date(2026, 1, 5))
    with pytest.raises(ValidationError, match="more than a year ago"):
        check_device({"next_service_on": "04/01/2026"}, a_year_on, before=overdue)


def test_a_change_is_checked_with_the_details_it_keeps_and_lists_what_differs() -> None:
    before = device()
    with pytest.raises(ValidationError, match="a class 4 laser needs it"):
        check_device({"eyewear_marking": ""}, TODAY, before=before)
    after = check_device({"laser_class": "3R", "eyewear_marking": "", "make": "Fotona"}, TODAY, before)
    assert changed_device_fields(before, after) == [
        ("laser_class", "4", "3R"),
        ("eyewear_marking", 'EN 207 "D 2940 LB5"', ""),
    ]
    later = replace(after, wavelengths_nm=(532, 1064), next_service_on=date(2027, 7, 1))
    assert changed_device_fields(after, later) == [
        ("wavelengths_nm", "2940 nm", "532, 1064 nm"),
        ("next_service_on", "2027-06-01", "2027-07-01"),
    ]
