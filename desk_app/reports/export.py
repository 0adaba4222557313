"""Save a document as a PDF file: logged in the print log first, then written whole or not at all.

A PDF never lands on the clinic's database, its side files, a backup or any SQLite file, never goes
through a symbolic link and replaces an existing file only when the user says so. It is written
to a temporary file beside the target, readable by its owner only, and moved into place.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from desk_app.domain.errors import DomainError
from desk_app.domain.progress import CancelAsked, Progress
from desk_app.reports.documents import PrintDocument
from desk_app.reports.pages import anchor_text, pdf_bytes
from desk_app.store.database import SQLITE_HEADER
from desk_app.store.desk import Desk
from desk_app.store.files import (
    NO_FOLLOW,
    NO_WAIT,
    SIDE_FILES,
    close_to_others,
    not_a_file,
    shown_path,
    unreachable,
)

# The app's database files, its backups and their part files: never a PDF's name.
_DATABASE_NAME = re.compile(r"\.sqlite3(-wal|-shm|-journal|\.part)?$")
# A file system that has no hard links (a FAT USB stick) says one of these.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}


class TargetExists(DomainError):
    """The chosen file exists: it is replaced only when the user says so (--force, or Replace)."""


def printed_footer(printed_by: str, printed_at: str) -> str:
    return f"Printed by {printed_by} on {printed_at}"


def audit_anchor(desk: Desk) -> str:
    """The audit trail's head as the record is printed: a checkpoint on paper, typed back into
    `desk-app audit verify --checkpoint N:HASH@TIME` to prove the trail was not cut or rewritten since."""
    rows, head = desk.audit.audit_head()
    return anchor_text(rows, head, desk.clock.now())


def page_footer(document: PrintDocument, printed_by: str, printed_at: str) -> str:
    """The foot of each page: a patient's handout names the clinic, not the computer account."""
    if document.handout_from is not None:
        return f"From {document.handout_from} · printed {printed_at}"
    return printed_footer(printed_by, printed_at)


def pdf_target(desk: Desk, path: Path, *, replace: bool, kind: str = "PDF") -> Path:
    """The file to write for `path`, checked before anything is made; raises DomainError saying why not.
    `kind` names the file in the messages (a CSV export is placed by the same rules).

    The folder's links are followed (the user chose that folder) but not the file's own: a PDF
    written through a link would land wherever the link points.
    """
    path = path.expanduser()
    target = _folder_of(path) / path.name
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise DomainError(unreachable(path, error)) from None
    if status is not None and stat.S_ISLNK(status.st_mode):
        raise DomainError(
            f"{path} is a link to {os.readlink(target)}: a {kind} is never written through a link. "
            "Neither was changed; choose another name."
        )
    if status is not None and (what := not_a_file(status.st_mode)) is not None:
        raise DomainError(f"{path} is {what}, not a file a {kind} can replace. It was not changed.")
    _refuse_database_files(desk, path, target, kind)
    if status is None:
        return target
    if _is_sqlite(target):
        raise DomainError(f"{path} is a database. It was not changed; choose another name.")
    if not replace:
        raise TargetExists(f"{path} already exists. It was not changed.")
    return target


def _folder_of(path: Path) -> Path:
    """The folder `path` is in, resolved; DomainError if it is missing or cannot be reached."""
    folder = path.parent
    try:
        status = os.stat(folder)
    except FileNotFoundError:
        raise DomainError(f"The folder for {shown_path(path)} does not exist.") from None
    except OSError as error:
        raise DomainError(unreachable(path, error)) from None
    if not stat.S_ISDIR(status.st_mode):
        raise DomainError(f"{shown_path(path)} cannot be reached: {folder} is a file, not a folder.")
    return folder.resolve()


def _refuse_database_files(desk: Desk, path: Path, target: Path, kind: str) -> None:
    """Refuse the live database and its side files, anything in its backup folder, a name of the
    app's database files, and a side file of any SQLite file: whether or not it exists yet (a
    stray -wal beside a database would be read as part of it)."""
    if _DATABASE_NAME.search(target.name):
        raise DomainError(f"{path} is named like a database or a backup (.sqlite3); choose another name.")
    main_file = target.parent / _without_side_suffix(target.name)
    live = desk.database.database_file()
    if live is not None:
        if _same_file(main_file, live):
            what = "the clinic's database" if main_file == target else "a side file of the clinic's database"
            raise DomainError(f"{path} is {what}. It was not changed.")
        if _same_file(target.parent, desk.database.backup_folder()):
            raise DomainError(f"{target.parent} is the clinic's backup folder: keep {kind} files elsewhere.")
    if main_file != target and _is_sqlite(main_file):
        raise DomainError(f"{path} is a side file of the database {main_file}. It was not changed.")


def _without_side_suffix(name: str) -> str:
    for suffix in SIDE_FILES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them is not there
        return False


def _is_sqlite(path: Path) -> bool:
    """Whether `path` is a regular file starting with SQLite's header; read without following a link
    or opening anything else (a pipe would wait, a device may act). DomainError if it cannot be read."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(os.open(path, os.O_RDONLY | NO_FOLLOW | NO_WAIT), "rb") as file:
            regular = stat.S_ISREG(os.fstat(file.fileno()).st_mode)
            return regular and file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except FileNotFoundError:
        return False
    except OSError as error:
        raise DomainError(
            f"{path} cannot be read ({error.strerror}), so it cannot be told from a database. "
            "It was not changed."
        ) from None


def write_into_place(
    target: Path, fill: Callable[[Path], object], log: Callable[[], None], *, replace: bool
) -> None:
    """Fill a private temporary file beside `target`, log the export, then move the file into place.

    Without `replace` it is put in place by a hard link, which never replaces: a file that appeared
    at `target` since it was checked is kept. A failure leaves no temporary file behind.
    """
    handle, name = tempfile.mkstemp(prefix=f".{target.name[:80]}.", suffix=".part", dir=target.parent)
    temporary = Path(name)
    try:
        close_to_others(handle)  # mkstemp's 0600 is cut further by a strict umask
        os.close(handle)
        fill(temporary)
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        log()
        if replace:
            os.replace(temporary, target)
        else:
            _put_new(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _put_new(temporary: Path, target: Path) -> None:
    """Put the file at `target` only if nothing is there: a hard link never replaces a file; where
    the file system has none, a look just before a rename has to do."""
    try:
        os.link(temporary, target)
        return
    except FileExistsError:
        pass
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if not os.path.lexists(target):
            os.replace(temporary, target)
            return
    raise TargetExists(f"{target} appeared while the file was being written. It was not changed.")


def save_pdf(
    desk: Desk,
    document: PrintDocument,
    path: Path,
    printed_by: str,
    staff_id: int | None,
    printed_at: str,
    *,
    replace: bool = False,
    progress: Progress | None = None,
    cancelled: CancelAsked | None = None,
) -> int:
    """Write `document` to `path` as a PDF and log it; return the page count.

    The target is checked first (pdf_target), the PDF made in memory and written to a temporary
    file beside it, the export logged, and only then is the file moved into place: a failure leaves
    neither a half-written file nor an export missing from the log. `progress` and `cancelled`: see
    pages.paint_document; a PDF cancelled while it is made (Cancelled) leaves no file and no log.
    """
    target = pdf_target(desk, path, replace=replace)
    footer, anchor = page_footer(document, printed_by, printed_at), audit_anchor(desk)
    data, pages = pdf_bytes(document, footer, anchor, progress, cancelled)
    write_into_place(
        target,
        lambda temporary: temporary.write_bytes(data),
        lambda: desk.clinic.record_print(
            document.kind,
            document.patient_id,
            document.session_id,
            f"PDF {target}",
            pages,
            printed_by,
            staff_id,
        ),
        replace=replace,
    )
    return pages
