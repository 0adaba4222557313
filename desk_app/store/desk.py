"""The front desk: one database, the procedure for new sessions, a clock, and the store's services.

Each area of the store is a service with one job, taking the shared StoreContext (store.context) and
the other services it needs: `desk.sessions.tick(...)`, `desk.patients.search_patients(...)`. Every
action is one transaction and returns the new state; the window shows "done" only after it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, cast, overload

from peewee import Database, SqliteDatabase, fn

from desk_app.domain.clock import Clock
from desk_app.domain.credentials import SecretHasher
from desk_app.domain.permissions import Permissions, load_permissions
from desk_app.domain.pre_use_check import PreUseChecklist
from desk_app.domain.procedure import Procedure
from desk_app.paths import PERMISSIONS_FILE, resource_path
from desk_app.store.audit_actions import CHANGES_NO_RECORD
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import AuditLog

if TYPE_CHECKING:  # each service's module is imported when the service is first used (issue 20)
    from desk_app.store.access import Access
    from desk_app.store.accounts import Accounts
    from desk_app.store.anchoring import AuditTrail
    from desk_app.store.clinic import Clinic
    from desk_app.store.consents import Consents
    from desk_app.store.device_checks import DeviceChecks
    from desk_app.store.devices import LaserDevices
    from desk_app.store.laser_operators import LaserOperators
    from desk_app.store.laser_register import LaserTreatmentRegister
    from desk_app.store.patients import Patients
    from desk_app.store.photos import Photos
    from desk_app.store.sessions import Sessions
    from desk_app.store.this_database import ThisDatabase

S = TypeVar("S", bound=Service)


class service(Generic[S]):  # noqa: N801 (a decorator, named as functools.cached_property is)
    """A service of the desk, made (and its module imported) when first used, then kept: a start
    imports only the services its first screen uses (issue 20, point 6). Made under the desk's lock:
    the window's thread and its database worker may both reach for one first, and each service is
    made once."""

    def __init__(self, make: Callable[[Desk], S]) -> None:
        self._make = make
        self._name = make.__name__
        self.__doc__ = make.__doc__

    @overload
    def __get__(self, desk: None, owner: type[Desk]) -> service[S]: ...

    @overload
    def __get__(self, desk: Desk, owner: type[Desk]) -> S: ...

    def __get__(self, desk: Desk | None, owner: type[Desk]) -> service[S] | S:
        if desk is None:
            return self
        with desk._making:
            made = desk.__dict__.get(self._name)
            if made is None:  # kept in the desk's own attributes, which later reads find first
                made = desk.__dict__[self._name] = self._make(desk)
        return cast("S", made)


class Desk:
    """The front desk's services on one database, with the procedure for new sessions and a clock."""

    def __init__(
        self,
        db: Database,
        procedure: Procedure,
        clock: Clock,
        hasher: SecretHasher | None = None,
        permissions: Permissions | None = None,
        pre_use_checklist: PreUseChecklist | None = None,
    ) -> None:
        context = StoreContext(
            db,
            procedure,
            clock,
            hasher or SecretHasher(),
            permissions or clinic_permissions(procedure),
            pre_use_checklist or _clinic_pre_use_checklist(),
        )
        self._context = context
        self._making = threading.RLock()  # a service made may make those it uses
        self._seen_version: int | None = None
        self._audit_read_to: int | None = None

    # The services, each made when first used: `desk.sessions.tick(...)`. A new one is a method here
    # importing its module, decorated with @service (and its module imported under TYPE_CHECKING).

    @service
    def patients(self) -> Patients:
        from desk_app.store.patients import Patients

        return Patients(self._context)

    @service
    def accounts(self) -> Accounts:
        from desk_app.store.accounts import Accounts

        return Accounts(self._context)

    @service
    def clinic(self) -> Clinic:
        from desk_app.store.clinic import Clinic

        return Clinic(self._context)

    @service
    def access(self) -> Access:
        from desk_app.store.access import Access

        return Access(self._context)

    @service
    def devices(self) -> LaserDevices:
        from desk_app.store.devices import LaserDevices

        return LaserDevices(self._context)

    @service
    def operators(self) -> LaserOperators:
        from desk_app.store.laser_operators import LaserOperators

        return LaserOperators(self._context)

    @service
    def device_checks(self) -> DeviceChecks:
        from desk_app.store.device_checks import DeviceChecks

        return DeviceChecks(self._context, self.devices, self.operators)

    @service
    def laser_register(self) -> LaserTreatmentRegister:
        from desk_app.store.laser_register import LaserTreatmentRegister

        return LaserTreatmentRegister(self._context, self.devices, self.operators)

    @service
    def sessions(self) -> Sessions:
        from desk_app.store.sessions import Sessions

        return Sessions(
            self._context, self.patients, self.accounts, self.clinic, self.operators, self.device_checks
        )

    @service
    def database(self) -> ThisDatabase:
        from desk_app.store.this_database import ThisDatabase

        return ThisDatabase(self._context, self.clinic)

    @service
    def audit(self) -> AuditTrail:
        from desk_app.store.anchoring import AuditTrail

        return AuditTrail(self._context, self.database)

    @service
    def consents(self) -> Consents:
        from desk_app.store.consents import Consents

        return Consents(self._context, self.accounts, self.sessions)

    @service
    def photos(self) -> Photos:
        from desk_app.store.photos import Photos

        return Photos(self._context, self.consents)

    @property
    def db(self) -> Database:
        return self._context.db

    @property
    def procedure(self) -> Procedure:
        """The clinic's current procedure version, for new sessions."""
        return self._context.procedure

    @property
    def clock(self) -> Clock:
        return self._context.clock

    @property
    def hasher(self) -> SecretHasher:
        return self._context.hasher

    @property
    def permissions(self) -> Permissions:
        return self._context.permissions

    @property
    def pre_use_checklist(self) -> PreUseChecklist:
        """The clinic's current pre-use checklist version, for new checks."""
        return self._context.pre_use_checklist

    @property
    def written_by_this_desk(self) -> set[str]:
        """The hashes of the audit rows this desk wrote: how it tells its own writes from another desk's."""
        return self._context.written_by_this_desk

    @property
    def this_pc_backup_folder(self) -> Path | None:
        """This PC's own backup folder, from its settings, set by the composition root."""
        return self._context.this_pc_backup_folder

    @this_pc_backup_folder.setter
    def this_pc_backup_folder(self, folder: Path | None) -> None:
        self._context.this_pc_backup_folder = folder

    @store_errors
    def changed_elsewhere(self) -> bool:
        """True if another program (another desk) changed a record since the last look.

        Cheap enough to ask every second. Every action writes an audit row; a row whose hash this desk
        did not write is another desk's (a hash, not an id, because an id of a transaction this desk
        rolled back may since be another desk's). Rows that record a look (a record opened, a search,
        a verify run, a backup: CHANGES_NO_RECORD) are no change: a search at one desk must not make
        every other desk read its pages again. On SQLite those rows are read only once data_version
        says another connection committed; a commit with no audit row at all counts as a change
        (unusual, but it must not be missed). Another connection may be this desk's own (a long job
        on a thread of its own, or a write before the window's database worker started): rows with
        this desk's hashes are its own whichever connection wrote them.
        """
        if isinstance(self.db, SqliteDatabase):
            version = self.db.execute_sql("PRAGMA data_version").fetchone()[0]
            first, moved = self._seen_version is None, version != self._seen_version
            self._seen_version = version
            if first or not moved:  # any new rows are this desk's own: look past them, forget them
                if first or self.written_by_this_desk:
                    self._other_desks_actions()
                    self.written_by_this_desk.clear()  # a rolled-back write's hash too
                return False
            own_before = len(self.written_by_this_desk)
            actions = self._other_desks_actions()
            if not actions:  # no other desk's row: a change unless this desk's own rows were found
                return len(self.written_by_this_desk) == own_before
            return not CHANGES_NO_RECORD.issuperset(actions)
        actions = self._other_desks_actions()
        return actions is not None and not CHANGES_NO_RECORD.issuperset(actions)

    def _other_desks_actions(self) -> list[str] | None:
        """The actions of the audit rows other desks wrote since the last look (by id, so cheap);
        None at the first look, which marks where the trail stands. This desk's own rows found are
        forgotten from `written_by_this_desk`."""
        if self._audit_read_to is None:
            self._audit_read_to = AuditLog.select(fn.MAX(AuditLog.id)).scalar() or 0
            self.written_by_this_desk.clear()
            return None
        actions = []
        newer = AuditLog.select(AuditLog.id, AuditLog.hash, AuditLog.action).where(
            AuditLog.id > self._audit_read_to
        )
        # cast: peewee's stubs type the rows of .tuples() as models
        rows = cast("Iterable[tuple[int, str, str]]", newer.order_by(AuditLog.id).tuples())
        for row_id, row_hash, action in rows:
            if row_hash in self.written_by_this_desk:
                self.written_by_this_desk.discard(row_hash)
            else:
                actions.append(action)
            self._audit_read_to = row_id
        return actions


_permissions: dict[tuple[str, str], Permissions] = {}


def clinic_permissions(procedure: Procedure) -> Permissions:
    """The clinic's permissions file, read once per process for each procedure version."""
    key = (procedure.id, procedure.version)
    if key not in _permissions:
        _permissions[key] = load_permissions(resource_path(PERMISSIONS_FILE), procedure)
    return _permissions[key]


def _clinic_pre_use_checklist() -> PreUseChecklist:
    from desk_app.store.device_checks import clinic_pre_use_checklist  # the window passes its own

    return clinic_pre_use_checklist()
