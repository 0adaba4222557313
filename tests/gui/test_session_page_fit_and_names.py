"""The session page on a small screen, by Tab and by ear (issue 18, points 1, 2, 5, 6 and 7): it fits
1280 x 380 px with nothing cut off, Tab reads it top to bottom, durations are in words, a screen
reader hears every state a sighted nurse sees, and a closed session leaves no patient's name behind."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QLabel, QScrollArea, QTextBrowser, QWidget

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.item_card import ItemCard
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import activate, control_name, fully_visible, heard, tab_walk, unheard
from tests.gui.nurse import described, open_pause_point, pause_point_button, settle
from tests.gui.test_keyboard_and_names import each_pause_point_unlocked, start_session

PAGE_SIZE = (1280, 380)  # what the window leaves a page with four alerts on a small screen
FOOTER = [
    "Back to board",
    "Note on session…",
    "Photos…",
    "Print record…",
    "Aftercare sheet…",
    "Stop treatment…",
]


def give_page(page: QWidget, size: tuple[int, int]) -> None:
    """Give the page `size`, as the window does with four alerts on a small screen (the window's own
    fit is tested in test_small_screens): its layout lays it out at once."""
    minimum = page.minimumSizeHint()
    assert (minimum.width(), minimum.height()) <= size, f"the page needs {minimum.toTuple()}"
    page.resize(*size)
    assert page.size().toTuple() == size


def cut_off(root: QWidget) -> list[str]:
    """Every visible button whose text needs more room than it has, every one-line label whose text
    is wider than it, and every scrolling column whose contents are wider than it (cut at the side)."""
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QAbstractButton) and widget.text():
            if widget.sizeHint().width() > widget.width():
                problems.append(
                    f"button {widget.text()!r}: needs {widget.sizeHint().width()}, has {widget.width()}"
                )
        elif isinstance(widget, QLabel) and widget.text() and not widget.wordWrap():
            needed = max(widget.fontMetrics().horizontalAdvance(line) for line in widget.text().split("\n"))
            if needed > widget.contentsRect().width():
                problems.append(
                    f"label {widget.text()!r}: needs {needed}, has {widget.contentsRect().width()}"
                )
        elif isinstance(widget, QScrollArea) and widget.widget().width() > widget.viewport().width():
            problems.append(f"{widget.widget().objectName()} is cut at the side")
    return problems


def test_tab_goes_through_the_pause_points_then_the_items_in_order_then_the_foot(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:  # noqa: ANN001
    """The foot is last: it is read last, and the keyboard starts at the next item to do."""
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(start_session(desk, nurse))
    settle(qtbot)  # the session is read on the database worker
    activate(qtbot, window)
    first = pause_point_button(window, "Sign-in")
    visited = tab_walk(qtbot, first)
    names = [control_name(widget) for widget in visited]

    nav = [b for b in window.checklist_page.nav_buttons.values()]
    assert visited[: len(nav)] == nav, names
    in_cards = [w for w in visited[len(nav) :] if _card_of(w) is not None]
    cards = [_card_of(w) for w in in_cards]
    shown = [c for c in window.checklist_page.findChildren(ItemCard) if c.isVisible()]
    assert sorted(set(cards), key=cards.index) == shown, "every item on the page, in order, once through"
    assert visited[len(nav) : len(nav) + len(in_cards)] == in_cards, names
    after = names[len(nav) + len(in_cards) :]
    assert after[: len(FOOTER)] == FOOTER, names


def _card_of(widget: QWidget) -> ItemCard | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, ItemCard):
        parent = parent.parentWidget()
    return parent


def test_at_every_pause_point_the_page_fits_1280_by_380_and_a_screen_reader_hears_every_state(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:  # noqa: ANN001
    """One walk through a session for both (a walk costs a second or two)."""
    page = window.checklist_page
    heard_at: dict[str, dict[str, str]] = {}
    for title in each_pause_point_unlocked(qtbot, window, desk, clock, nurse):
        if title == "Sign-in":  # notes on the session, more than the header has room for
            for _ in range(4):
                desk.sessions.add_note(
                    page.record.id, None, "The patient asked about sun exposure. " * 3, nurse.id
                )
            window.signals.changed_elsewhere.emit()
            settle(qtbot)  # the page reads the session again on the database worker
        give_page(page, PAGE_SIZE)
        assert title == "Sign-in" or page.notes_scroll.isVisible(), "the notes are shown"
        assert cut_off(page) == [], title
        footer = [b for b in page.findChildren(QAbstractButton) if b.text() in FOOTER]
        assert len(footer) == len(FOOTER) and all(fully_visible(b) for b in footer), title
        header = (page.patient_label, page.details_label, page.countdown_label, page.phase_label)
        assert all(fully_visible(label) for label in header), title
        assert fully_visible(pause_point_button(window, title)), f"{title}: its pause point scrolled away"
        assert unheard(page) == [], title
        heard_at[title] = {
            "countdown": heard(described(window, QLabel, "Gel countdown")),
            "phase": described(window, QLabel, "Gel status").text(),
            "nav": " | ".join(heard(button) for button in page.nav_buttons.values()),
            "status": " | ".join(heard(card.status) for card in page.cards.values()),
        }
    for title in ("Sign-in", "Anaesthetic", "Time-out", "Laser"):  # done items: Undo tick, who and when
        open_pause_point(qtbot, window, title)
        assert unheard(page) == [], f"{title}, done"
    assert heard_at["Sign-in"]["countdown"].startswith("Gel countdown not started")
    assert heard_at["Wait"]["countdown"].startswith("Gel working, 1 hour left (1:00:00)")
    assert heard_at["Time-out"]["countdown"].startswith("Gel ready, to come off within 30 minutes")
    assert "1. Sign-in, current" in heard_at["Sign-in"]["nav"]
    assert "5. Laser, locked: " in heard_at["Sign-in"]["nav"]
    assert "1. Sign-in, done | 2. Anaesthetic, current" in heard_at["Anaesthetic"]["nav"]
    assert "To do" in heard_at["Sign-in"]["status"]
    assert re.search(r"Done at \d\d:\d\d by AN", heard_at["Anaesthetic"]["status"])
    # A length of time in words, only the running countdown as a clock.
    assert "mm:ss" not in heard_at["Sign-out"]["phase"]
    assert re.fullmatch(r"The gel was on the skin for \d+ (h|min)( \d+ min)?", heard_at["Sign-out"]["phase"])


def test_a_closed_session_leaves_no_patient_name_on_the_page(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:  # noqa: ANN001
    """As when the screen locks: hidden widgets are read all the same by an accessibility client."""
    session_id = start_session(desk, nurse)
    desk.sessions.add_note(session_id, None, "Zoë would like a break before the laser", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    open_pause_point(qtbot, window, "Time-out")
    page = window.checklist_page
    assert "Zoë O'Brien" in page.patient_label.text() and "Zoë would" in page.session_notes.text()
    page.close_session()
    said = []
    for widget in [page, *page.findChildren(QWidget)]:
        said += [widget.accessibleName(), widget.accessibleDescription(), heard(widget)]
        if isinstance(widget, QLabel | QAbstractButton):
            said.append(widget.text())
        if isinstance(widget, QTextBrowser):
            said.append(widget.toPlainText())
    assert [text for text in said if "O'Brien" in text or "Zoë" in text] == []
