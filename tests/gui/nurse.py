"""How a nurse uses the screen in tests: find controls by their visible text or accessible name."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)


def _named(widget: QWidget, name: str) -> bool:
    text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
    return widget.accessibleName() == name or text == name


def the_one(root: QWidget, kind: type[QWidget], matches: Callable[[QWidget], bool], what: str) -> QWidget:
    """The one visible control of `kind` under `root` that `matches`; `what` names it in a failure."""
    found = [w for w in root.findChildren(kind) if w.isVisible() and matches(w)]
    assert len(found) == 1, f"expected one visible {kind.__name__} {what}, found {len(found)}"
    return found[0]


def find(root: QWidget, kind: type[QWidget], name: str) -> QWidget:
    """The one visible control of `kind` called `name` (visible text or accessible name)."""
    return the_one(root, kind, lambda widget: _named(widget, name), f"called {name!r}")


def click(qtbot, root: QWidget, name: str) -> None:  # noqa: ANN001
    """Click it, then wait (as the nurse does) until what it asked of the database is shown."""
    button = find(root, QAbstractButton, name)
    assert button.isEnabled(), f"{name!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot)


def settle(qtbot) -> None:  # noqa: ANN001, ARG001 (the same signature as the other helpers)
    """Wait until every window's database worker has done what it was asked, and deliver its results
    (ui.db_worker): the nurse's eyes wait for "Saving…" to become done, the test's too. Only the
    workers' results are delivered, not the whole event loop: a dialog closed by the click is not
    deleted under the test, nor does a timer fire that the test did not ask for."""
    from desk_app.ui.db_worker import DatabaseWorker

    for _round in range(50):  # a result may ask for more (a change read makes the board read)
        workers = [w for top in QApplication.topLevelWidgets() for w in top.findChildren(DatabaseWorker)]
        if all(worker.idle() for worker in workers):
            return
        for worker in workers:
            assert worker.wait_until_drained(10), "the database worker did not finish within 10 s"
            QCoreApplication.sendPostedEvents(worker, QEvent.Type.MetaCall)
    raise AssertionError("the database workers kept being asked for more")


def tick(qtbot, window: QWidget) -> None:  # noqa: ANN001
    """The window's second passes (tests move the clock themselves), and what it read is shown."""
    window.tick()
    settle(qtbot)


def type_text(widget: QWidget, text: str) -> None:
    """Key presses carrying each character, as a keyboard sends them (QTest only knows ASCII)."""
    for character in text:
        for event_type in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(event_type, 0, Qt.KeyboardModifier.NoModifier, character)
            QApplication.sendEvent(widget, event)


def type_into(qtbot, root: QWidget, name: str, text: str) -> None:  # noqa: ANN001
    """Clear the field, type `text`, then pause (see pause_typing)."""
    edit = find(root, QLineEdit, name)
    edit.clear()
    type_text(edit, text)
    pause_typing(edit)


def pause_typing(edit: QLineEdit) -> None:
    """The nurse stops typing: a search field's search waiting for the pause (ui.typed_search) runs
    now, as its timer would SEARCH_DELAY_MS later, so no test sleeps through the wait; then its
    patients are shown (a search runs on the database worker)."""
    from desk_app.ui.typed_search import TypedSearch

    typing = edit.findChild(TypedSearch)
    if typing is not None:
        typing.flush()
        settle(None)


def label_text(root: QWidget, name: str) -> str:
    return find(root, QLabel, name).text()


def visible_texts(root: QWidget) -> str:
    """Everything a nurse can read on screen, one label per line."""
    return "\n".join(label.text() for label in root.findChildren(QLabel) if label.isVisible())


def open_dialog() -> QDialog:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert len(dialogs) == 1, f"expected one open dialog, found {len(dialogs)}"
    return dialogs[0]


def write_in_dialog(dialog: QDialog, text: str) -> None:
    type_text(dialog.findChild(QPlainTextEdit), text)


def card(root: QWidget, item_label: str) -> QWidget:
    """The visible checklist card of one item, to look inside it as a nurse looks at one box."""
    from desk_app.ui.item_card import ItemCard

    return the_one(root, ItemCard, lambda c: c.item.label == item_label, f"card {item_label!r}")


def staff_choice(window: QWidget, name: str) -> QRadioButton:
    """The sign-in page's visible choice for the member of staff called `name` ("Ann Nurse (AN) · nurse")."""
    return the_one(window, QRadioButton, lambda b: b.text().startswith(f"{name} ("), f"for {name!r}")


def choose_staff(qtbot, window: QWidget, name: str) -> None:  # noqa: ANN001
    """Click your name on the sign-in page (or the lock screen), once the names are there."""
    settle(qtbot)
    qtbot.mouseClick(staff_choice(window, name), Qt.MouseButton.LeftButton)


def sign_in(qtbot, window: QWidget, name: str, secret: str | None = None) -> None:  # noqa: ANN001
    """On the sign-in page: choose your name, type your password (or PIN), press Sign in."""
    from tests.support.people import PASSWORD

    choose_staff(qtbot, window, name)
    field = [
        w
        for w in window.findChildren(QLineEdit)
        if w.isVisible() and w.accessibleName() in ("Password", "PIN")
    ]
    assert len(field) == 1, "one password or PIN field on screen"
    field[0].clear()
    type_text(field[0], PASSWORD if secret is None else secret)
    click(qtbot, window, "Sign in")


def described(root: QWidget, kind: type[QWidget], description: str) -> QWidget:
    """The one visible control of `kind` whose accessible description is `description`: a label whose
    name says what it shows (the countdown, an item's status) is found by what it is."""
    return the_one(
        root, kind, lambda w: w.accessibleDescription() == description, f"described {description!r}"
    )


def described_text(root: QWidget, description: str) -> str:
    return described(root, QLabel, description).text()


def pause_point_button(root: QWidget, title: str) -> QAbstractButton:
    """A pause point's button in the session's list, found by its title (its mark changes as it goes)."""
    return the_one(root, QAbstractButton, lambda b: b.text().endswith(f". {title}"), f"pause point {title!r}")


def open_pause_point(qtbot, root: QWidget, title: str) -> None:  # noqa: ANN001
    qtbot.mouseClick(pause_point_button(root, title), Qt.MouseButton.LeftButton)
