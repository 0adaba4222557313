"""ui.saving.Asked: an answer asked before the page moved on (the lock, another patient, a newer
read) is not shown; the nine pages that drop late answers share it."""

from __future__ import annotations

from desk_app.ui.saving import Asked


def test_an_answer_is_wanted_until_the_page_moves_on_and_a_newer_read_replaces_an_older() -> None:
    asked = Asked()
    first = asked.still()
    assert first()
    older = asked.newest()
    assert older() and not first()  # a newer read: the one before it is not shown
    newer = asked.newest()
    assert newer() and not older()
    asked.move_on()  # the lock
    assert not newer() and asked.still()()
