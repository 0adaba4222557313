"""The daily pre-use safety check of each laser, and whether a device may be used today (issue 15).

A service of Desk (desk.device_checks): it uses the desk's database, clock, staff, devices, operators
and audit row. The checklist file is stored like a procedure version, so each check names the exact
wording it followed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import suppress
from datetime import date
from typing import Any

from desk_app.domain.actions import other_laser_message
from desk_app.domain.errors import ActionRefused
from desk_app.domain.laser_use import DeviceUse, device_uses, device_value
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.pre_use_check import (
    PreUseCheck,
    PreUseChecklist,
    check_answers,
    load_pre_use_checklist,
    parse_pre_use_checklist,
)
from desk_app.domain.procedure import ItemDef, ItemKind
from desk_app.domain.session import SessionState
from desk_app.paths import PRE_USE_CHECK_FILE, resource_path
from desk_app.store.context import Service, StoreContext
from desk_app.store.devices import LaserDevices
from desk_app.store.errors import store_errors
from desk_app.store.laser_operators import LaserOperators
from desk_app.store.models import LaserDeviceCheck, ProcedureVersionRow, StaffRow
from desk_app.store.rows import Read, stored_version_sealed

_checklists: list[PreUseChecklist] = []


def clinic_pre_use_checklist() -> PreUseChecklist:
    """The clinic's pre-use checklist file, read once per process (the app reads it itself at start,
    so that a broken file stops the start)."""
    if not _checklists:
        _checklists.append(load_pre_use_checklist(resource_path(PRE_USE_CHECK_FILE)))
    return _checklists[0]


# Stored checklist versions, parsed once per process: a version's text never changes (its digest).
_parsed: dict[str, PreUseChecklist] = {}


def _stored_checklist(version: ProcedureVersionRow) -> PreUseChecklist:
    """The checklist version a check followed; its text is read only the first time it is needed."""
    if version.sha256 not in _parsed:
        source = ProcedureVersionRow.select(ProcedureVersionRow.source).where(
            ProcedureVersionRow.id == version.id
        )
        name = f"stored version {version.version}"
        _parsed[version.sha256] = parse_pre_use_checklist(source.scalar(), name)
    return _parsed[version.sha256]


def _check_from_row(row: LaserDeviceCheck, checklist: PreUseChecklist) -> PreUseCheck:
    answers: dict[str, bool] = json.loads(row.answers_json)
    return PreUseCheck(
        id=row.id,
        device_id=row.device_id,
        day=row.day,
        at=row.at,
        staff_id=row.staff_id,
        staff_name=row.staff.name,
        passed=row.passed,
        failed_items=tuple(checklist.label_of(item) for item, passed in answers.items() if not passed),
        note=row.note,
        checklist_version=row.checklist.version,
    )


class DeviceChecks(Service):
    """The daily pre-use checks of the lasers, and whether each may be used today."""

    def __init__(self, context: StoreContext, devices: LaserDevices, operators: LaserOperators) -> None:
        self._context = context
        self._devices = devices
        self._operators = operators

    @store_errors
    def pre_use_checks(self, day: date | None = None, device_id: int | None = None) -> list[PreUseCheck]:
        """The checks of one day (by default today), or of one device on every day; oldest first.
        The labels of failed items are read from the checklist version each check followed."""
        return [
            _check_from_row(row, _stored_checklist(row.checklist))
            for row in self._context.rows(self._checks_read(day, device_id))
        ]

    def _checks_read(self, day: date | None, device_id: int | None) -> Read:
        version = ProcedureVersionRow
        query = (
            LaserDeviceCheck.select(LaserDeviceCheck, StaffRow, version.id, version.sha256, version.version)
            .join(StaffRow)
            .switch(LaserDeviceCheck)
            .join(version)
        )
        if day is not None or device_id is None:
            query = query.where(LaserDeviceCheck.day == (day or self._context.today()))
        if device_id is not None:
            query = query.where(LaserDeviceCheck.device == device_id)
        return Read.of(query.order_by(LaserDeviceCheck.id))

    def tick_reads(self, item: ItemDef, values: Mapping[str, Any]) -> list[Read]:
        """What ticking `item` with `values` will read about its devices (device_use), to send
        ahead with the tick's first reads on a server: today's checks and each chosen device."""
        device_ids = []
        for field in item.device_fields():
            chosen = values.get(field.id)
            with suppress(ActionRefused):  # not a device: with_devices says so, as ever
                device_ids.append(_chosen_device(field.label, chosen)[0])
        if not device_ids:
            return []
        today_checks = self._checks_read(self._context.today(), None)
        return [today_checks, *(self._devices.device_read(device_id) for device_id in device_ids)]

    @store_errors
    def device_uses(self, include_retired: bool = False) -> list[DeviceUse]:
        """Every device in service (and retired ones if asked) with whether it may be used today."""
        today = self._context.today()
        return device_uses(self._devices.devices(include_retired), self.pre_use_checks(today), today)

    def device_use(self, device_id: int) -> DeviceUse:
        today = self._context.today()
        checks = [check for check in self.pre_use_checks(today) if check.device_id == device_id]
        return DeviceUse(self._devices.device(device_id), today, tuple(checks))

    @store_errors
    def record_pre_use_check(
        self, device_id: int, answers: Mapping[str, object], note: str, staff_id: int
    ) -> PreUseCheck:
        """An authorised laser operator records today's pre-use check of a device in service. A failed
        check takes the device out of use until tomorrow, so none is taken after one that day."""
        checklist = self._context.pre_use_checklist
        passed, checked, written = check_answers(checklist, answers, note)
        refusals = self._context.refusals_audited(
            staff_id, "pre-use check", device_id, subject="laser_device"
        )
        with refusals, self._context.db.atomic():
            staff = self._context.staff(staff_id)
            if not self._operators.is_authorised_operator(staff_id):
                raise PermissionRefused(
                    f"{staff.name} is not an authorised laser operator today: only an operator does the "
                    "pre-use check."
                )
            use = self.device_use(device_id)
            if use.device.retired:
                raise ActionRefused(f"The {use.device.name} is retired: it is not checked or used.")
            if use.out_of_use:
                raise ActionRefused(use.stop or "")
            version, sealed = stored_version_sealed(checklist.id, checklist.version, checklist.source)
            row = LaserDeviceCheck.create(
                device=device_id,
                day=use.today,
                staff=staff_id,
                at=self._context.clock.now(),
                checklist=version,
                passed=passed,
                answers_json=json.dumps(checked),
                note=written,
            )
            failed = [checklist.label_of(item) for item, ok in checked.items() if not ok]
            detail = {"device": device_id, "device_name": use.device.name, "day": use.today.isoformat()}
            detail |= {"passed": passed, "failed": failed, "note": written, "answers": checked}
            detail["checklist_version"] = checklist.version
            sealed.append((LaserDeviceCheck, row.id))
            self._context.audit("laser pre-use check", staff_id, "laser_device_check", row.id, detail, sealed)
        return next(check for check in self.pre_use_checks(use.today) if check.id == row.id)

    def with_devices(self, state: SessionState, item: ItemDef, values: Mapping[str, Any]) -> dict[str, Any]:
        """The tick's values with each chosen device replaced by the snapshot the record keeps,
        refusing, in words, a device that may not be used today (the hard stops), a pass on another
        laser than the eyewear's, and eyewear checked against a marking that is no longer the laser's.

        A device is chosen by its id; the eyewear item's may come as {"id", "eyewear_marking_seen"}:
        the marking the nurse read on the screen, which must still be the laser's when it is kept."""
        self._refuse_a_pass_without_a_laser(state, item)
        resolved = dict(values)
        for field in item.device_fields():
            chosen = resolved.get(field.id)
            if chosen is not None and chosen != "":  # else validate_values says it is missing
                resolved[field.id] = self._device_kept(state, item, *_chosen_device(field.label, chosen))
        return resolved

    def _device_kept(
        self, state: SessionState, item: ItemDef, device_id: int, seen: str | None
    ) -> dict[str, Any]:
        laser_pass = item.kind is ItemKind.LASER_PASS
        confirmed = state.confirmed_laser if laser_pass else None
        if confirmed is not None and confirmed["id"] != device_id:  # said first: no check would help
            raise ActionRefused(
                other_laser_message(state, confirmed["name"], self._devices.device(device_id).name)
            )
        use = self.device_use(device_id)
        name, marking = use.device.name, use.device.eyewear_marking
        if item.confirms_eyewear and seen is not None and seen != marking:
            raise ActionRefused(
                f"The eyewear marking of the {name} has just changed to {marking}: check the eyewear "
                "against the new marking."
            )
        if confirmed is not None and confirmed.get("eyewear_marking") != marking:
            eyewear = state.procedure.eyewear_item
            raise ActionRefused(
                f"The eyewear marking of the {name} changed to {marking} after the time-out. Undo "
                f"'{eyewear.label if eyewear else 'the eyewear'}' and check the eyewear again."
            )
        return device_value(use, confirms_eyewear=item.confirms_eyewear, laser_pass=laser_pass)

    def _refuse_a_pass_without_a_laser(self, state: SessionState, item: ItemDef) -> None:
        """A session started under a procedure before registered lasers (1.2 and older) would record
        its passes with no daily check: once this desk's procedure names the laser, it may not."""
        if (
            item.kind is ItemKind.LASER_PASS
            and not item.device_fields()
            and self._context.procedure.eyewear_item is not None
        ):
            raise ActionRefused(
                f"This session follows procedure version {state.procedure.version}, which does not name a "
                "registered laser, so the laser's daily pre-use check cannot be enforced. Stop the "
                "treatment (with a reason) and start a new session."
            )


def _chosen_device(label: str, chosen: object) -> tuple[int, str | None]:
    """(device id, eyewear marking seen) from a device field's raw value."""
    device_id, seen = chosen, None
    if isinstance(chosen, Mapping) and set(chosen) == {"id", "eyewear_marking_seen"}:
        device_id, seen = chosen["id"], chosen["eyewear_marking_seen"]
    if (
        isinstance(device_id, bool)
        or not isinstance(device_id, int)
        or not (seen is None or isinstance(seen, str))
    ):
        raise ActionRefused(f"{label}: choose a registered laser device from the list.")
    return device_id, seen
