"""Item models for patient lists and a patient's sessions.

The patient list can hold 100,000 rows: it fetches a page at a time as the view scrolls
(canFetchMore/fetchMore), so the first paint costs one page, never the whole register. A page is
asked for without waiting (on the database worker) and its rows are added when it comes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desk_app.domain.course import SessionLine
from desk_app.domain.people import Patient
from desk_app.reports.history import SESSION_STATUS_WORDS
from desk_app.ui.formatting import local_date
from desk_app.ui.saving import Asked

PAGE = 100
Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")
# (text, limit, offset, deliver, not_read): asks for those patients, and later, on the UI thread,
# deliver(them) once they come, or not_read() if they could not be read
PatientPager = Callable[[str, int, int, Callable[[list[Patient]], None], Callable[[], None]], None]
_SHOWN_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole)


class _RowsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table over a plain list of rows; subclasses say the columns and the cells."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def clear(self) -> None:
        """No rows (the screen locked): nothing of them stays for a view or a screen reader."""
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def cells(self, row: Row) -> tuple[str, ...]:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in _SHOWN_ROLES:
            return None
        return self.cells(self._rows[index.row()])[index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class PatientListModel(_RowsModel[Patient]):
    """Patients matching a search, loaded a page at a time."""

    COLUMNS = ("Surname", "First names", "Date of birth", "Clinic number")

    def __init__(self, pager: PatientPager, parent: Any = None) -> None:
        super().__init__(parent)
        self._pager = pager
        self._text = ""
        self._more = False
        self._fetching = False  # a page is on its way: no second one is asked meanwhile
        self._asked = Asked()  # each list shown moves it on: a page asked for an earlier one is dropped

    def clear(self) -> None:
        self._text, self._more, self._fetching = "", False, False
        self._asked.move_on()
        super().clear()

    def show(self, text: str, first_page: list[Patient]) -> None:
        """The first page of the patients matching `text`, read elsewhere (on the database worker);
        more are read as the table scrolls to them."""
        self.beginResetModel()
        self._asked.move_on()
        self._text = text
        self._rows = first_page
        self._more = len(first_page) == PAGE
        self._fetching = False
        self.endResetModel()

    def cells(self, row: Patient) -> tuple[str, ...]:
        return (row.family_name, row.given_names, local_date(row.date_of_birth), row.clinic_number)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """Ask for the next page; its rows are added when it comes (the view asks again for more
        when it needs them)."""
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        still = self._asked.still()
        self._pager(
            self._text,
            PAGE,
            len(self._rows),
            lambda page: self._add(still, page),
            lambda: self._not_read(still),
        )

    def _not_read(self, still: Callable[[], bool]) -> None:
        """Asked again when the view next needs it (the page says why not)."""
        if still():
            self._fetching = False

    def _add(self, still: Callable[[], bool], page: list[Patient]) -> None:
        if not still():
            return  # another list is shown now (a new search, the lock)
        self._fetching = False
        self._more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()


class SessionListModel(_RowsModel[SessionLine]):
    """A patient's sessions, newest first, a line each."""

    COLUMNS = ("Date", "Session", "Status", "Operator", "Laser settings")

    def set_lines(self, lines: list[SessionLine]) -> None:
        self.beginResetModel()
        self._rows = list(lines)
        self.endResetModel()

    def cells(self, row: SessionLine) -> tuple[str, ...]:
        return (
            local_date(row.day),
            str(row.number),
            SESSION_STATUS_WORDS[row.status],
            row.operator,
            row.settings,
        )
