"""Save a document as a PDF file: logged in the print log first, then written whole or not at all."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from desk_app.reports.documents import PrintDocument
from desk_app.reports.pages import pdf_bytes
from desk_app.store.desk import Desk


def printed_footer(printed_by: str, printed_at: str) -> str:
    return f"Printed by {printed_by} on {printed_at}"


def save_pdf(
    desk: Desk, document: PrintDocument, path: Path, printed_by: str, staff_id: int | None, printed_at: str
) -> int:
    """Write `document` to `path` as a PDF and log it; return the page count.

    The PDF is made in memory and written to a temporary file beside `path`, the export is logged,
    and only then is the file moved into place: a failure leaves neither a half-written file nor an
    export missing from the log.
    """
    target = path.expanduser().resolve()
    if target.is_dir():  # found now, before the export is logged: the move into place would fail
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(target))
    data, pages = pdf_bytes(document, printed_footer(printed_by, printed_at))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        desk.record_print(
            document.kind,
            document.patient_id,
            document.session_id,
            f"PDF {target}",
            pages,
            printed_by,
            staff_id,
        )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return pages
