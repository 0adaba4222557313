"""The `desk-app` command's entry point (and `python -m desk_app`'s, and the bundle's): Python's
cyclic garbage collector is paused while the app starts, until its window is shown or a command
begins.

A start makes some hundreds of thousands of objects that live as long as the app (modules, classes,
Qt's enums and wrappers, the procedure) and next to no garbage, yet the collector would walk the
young ones some 90 times meanwhile: a fifth of every start (issue 20). Paused here, in the
command's entry, not in desk_app.cli, which tests and tools import and call.
"""

from __future__ import annotations

import gc

_paused = False


def main(argv: list[str] | None = None) -> int:
    global _paused  # noqa: PLW0603 (one switch for the whole process, as the collector's own)
    _paused = gc.isenabled()
    gc.disable()
    from desk_app.cli import main as command  # imported with the collector paused: most of a start

    try:
        return command(argv)
    finally:
        started()


def started() -> None:
    """The start is over: collect as usual again, never walking what the start made (frozen: it
    costs no later collection either, so the UI thread's pauses stay short). Nothing to do where
    the collector was not paused by main() (a test calling desk_app.cli.main, a second call)."""
    global _paused  # noqa: PLW0603
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
