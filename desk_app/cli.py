"""The `desk-app` command: open the app, or run an admin command such as `demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desk_app import launch
from desk_app.config import (
    DATABASE_ENV,
    NAMES,
    PcSettings,
    SettingsError,
    chosen_database,
)
from desk_app.domain.errors import DomainError
from desk_app.exporting import DOCUMENTS
from desk_app.logs import logged_run
from desk_app.paths import default_database_url
from desk_app.store.database import (
    DatabaseOpenError,
    check_database_path,
    shown_name,
    sqlite_path_from_url,
)
from desk_app.store.server_address import is_postgres_url

if TYPE_CHECKING:
    from peewee import Database

    from desk_app.domain.integrity import AuditReport
    from desk_app.store.anchor_check import AnchorCheck

__all__ = ["DATABASE_ENV", "database_url", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desk-app", description="Treatment Desk: guided laser acne-scarring treatments."
    )
    database_help = (
        f"database file or URL (default: ${DATABASE_ENV}, else this PC's setting (desk-app config), "
        "else a file in the user's data folder)"
    )
    parser.add_argument("--db", help=database_help)
    parser.add_argument(
        "--new-clinic",
        action="store_true",
        help="start a new, empty clinic even where there are signs of a clinic's lost database",
    )

    def with_db(command: argparse.ArgumentParser, dest: str = "command_db") -> argparse.ArgumentParser:
        """Every command takes --db too (after the command's name, like its other options)."""
        command.add_argument("--db", dest=dest, help=database_help)
        return command

    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="fill a new database with a realistic demo for training")
    with_db(demo)
    export = commands.add_parser(
        "export",
        help="write a session record, an aftercare sheet or a patient history as a PDF, or the laser "
        "treatment register as a CSV file or a PDF",
        description="Examples: desk-app export session 12 --pdf record.pdf; "
        "desk-app export aftercare 12 --pdf sheet.pdf; desk-app export history AZ-00012 --pdf history.pdf; "
        "desk-app export register --device SP-1234 --from 2026-01-01 --to 2026-12-31 --csv register.csv",
    )
    # Also before the document ('export --db X session 12', as it was before the register came): a
    # dest of its own, which the document's --db (None when not given) does not overwrite.
    with_db(export, dest="export_db")
    documents = export.add_subparsers(
        dest="document", required=True, metavar="{" + ",".join([*DOCUMENTS, "register"]) + "}"
    )

    def force(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--force",
            action="store_true",
            help="replace FILE if it exists (never a database, its side files, a backup or a link)",
        )

    for document, (what, subject_help) in DOCUMENTS.items():
        one = with_db(documents.add_parser(document, help=f"{what} as a PDF"))
        one.add_argument("subject", help=subject_help)
        one.add_argument("--pdf", required=True, metavar="FILE", help="the PDF file to write")
        force(one)
    register = with_db(
        documents.add_parser(
            "register",
            help="the laser treatment register: every exposure of one device or all, day by day",
        )
    )
    register.add_argument("--device", metavar="SERIAL", help="one laser, by its serial number (default: all)")
    register.add_argument("--from", dest="from_day", required=True, metavar="YYYY-MM-DD", help="first day")
    register.add_argument("--to", dest="to_day", required=True, metavar="YYYY-MM-DD", help="last day")
    register.add_argument("--csv", metavar="FILE", help="a CSV file for a spreadsheet (UTF-8)")
    register.add_argument("--pdf", metavar="FILE", help="a PDF file of the register's pages")
    force(register)
    register.set_defaults(usage_error=register.error)
    unlock = with_db(
        commands.add_parser(
            "unlock", help="unlock a member of staff's account (when no administrator can sign in)"
        )
    )
    unlock.add_argument("initials", help="the initials of the member of staff, for example MP")
    backup = with_db(
        commands.add_parser("backup", help="copy the database, checked, into a folder or a new file")
    )
    backup.add_argument("destination", help="a folder (the file is named by date and time) or a new file")
    restore = with_db(
        commands.add_parser(
            "restore", help="replace the database with a backup (checked first; the old file is kept)"
        )
    )
    restore.add_argument("source", help="the backup file")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even a backup that is not of this clinic's database, or a demo over real records",
    )
    with_db(commands.add_parser("check", help="check that the database is whole and undamaged"))
    desk_login_help = "the login every desk signs in with (an existing role); given only what a desk needs"
    migrate = with_db(
        commands.add_parser(
            "migrate",
            help="create or upgrade a PostgreSQL database, as the login that owns it (the administrator)",
            description="Example: desk-app migrate --db postgresql://clinic_owner@clinic-server:5432/"
            "treatment_desk --desk-login clinic_desk. Run once, and again after each upgrade of the app.",
        )
    )
    migrate.add_argument("--desk-login", required=True, metavar="NAME", help=desk_login_help)
    migrate_to = with_db(
        commands.add_parser(
            "migrate-to",
            help="copy this database (a file) into an empty PostgreSQL database, then check the copy",
            description="Example: desk-app migrate-to postgresql://clinic_owner@clinic-server:5432/"
            "treatment_desk --desk-login clinic_desk --db ~/clinic.sqlite3, as the login that owns the "
            "database. The password comes from ~/.pgpass, never from the command line.",
        )
    )
    migrate_to.add_argument(
        "target", metavar="URL", help="postgresql://OWNER@HOST:PORT/NAME (an empty database)"
    )
    migrate_to.add_argument("--desk-login", required=True, metavar="NAME", help=desk_login_help)
    migrate_to.add_argument(
        "--undo",
        action="store_true",
        help="give up a move that did not finish: the file opens for work again (the server must not "
        "hold its records)",
    )
    audit = with_db(commands.add_parser("audit", help="check the audit trail"))
    audit.add_argument(
        "action", choices=["verify"], help="verify: walk the hash chain, report the first break"
    )
    audit.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="FOLDER_OR_FILE",
        help="also prove the trail still holds the checkpoints kept outside it: every one in a backup "
        "folder (each backup's and each day's), or one checkpoint file",
    )
    audit.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="N:HASH@TIME",
        help="a checkpoint typed from a printed record's footer ('audit row N · hash HASH · DATE TIME'), "
        "as N:HASH@YYYY-MM-DDTHH:MM; without the time a checkpoint only a restore explains fails",
    )
    config = commands.add_parser(
        "config",
        help="this PC's own settings: the database it opens and the folder for its backups",
        description="Examples: desk-app config show; desk-app config set database "
        "postgresql://clinic_desk@clinic-server:5432/treatment_desk; desk-app config set backup-folder "
        "/media/clinic/backups; desk-app config unset backup-folder. --db and DESK_APP_DB come first.",
    )
    actions = config.add_subparsers(dest="config_action", required=True)
    actions.add_parser("show", help="each setting, its value and where it comes from")
    set_one = actions.add_parser("set", help="set one (checked first: nothing changes if it is refused)")
    set_one.add_argument("name", choices=list(NAMES))
    set_one.add_argument("value", help="a database file or URL, or an existing folder")
    unset = actions.add_parser("unset", help="clear one: the app then uses its default")
    unset.add_argument("name", choices=list(NAMES))
    return parser


def database_url(explicit: str | None, settings: PcSettings | None = None) -> str:
    """--db, else $DESK_APP_DB, else this PC's setting, else the default file. Raises OSError when
    the default's data folder cannot be made, SettingsError when the settings cannot be read."""
    return chosen_database(explicit, settings or PcSettings()).address or default_database_url()


def _database_url(who: str, explicit: str | None, settings: PcSettings | None = None) -> str | None:
    """database_url(), or None when it cannot be known (the reason said on stderr)."""
    try:
        return database_url(explicit, settings)
    except OSError as error:
        print(f"{who}: the data folder {error.filename} cannot be used ({error.strerror}).", file=sys.stderr)
    except SettingsError as error:
        print(f"{who}: {error}", file=sys.stderr)
    return None


def _existing_database(command: str, url: str) -> Database | None:
    """The database at `url`, never created anew; None (the reason said on stderr) if it cannot open."""
    from desk_app.store.database import open_database

    try:
        return open_database(url, create=False)
    except DatabaseOpenError as error:
        print(f"desk-app {command}: {error}", file=sys.stderr)
        return None


def _unlock(initials: str, url: str) -> int:
    import getpass

    from desk_app.domain.clock import SystemClock
    from desk_app.domain.procedure import load_procedure
    from desk_app.paths import PROCEDURE_FILE, resource_path
    from desk_app.store.desk import Desk

    if (db := _existing_database("unlock", url)) is None:
        return 2
    try:
        desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), SystemClock())
        member = desk.accounts.unlock_from_terminal(initials, getpass.getuser())
    except DomainError as error:
        print(f"desk-app unlock: {error}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"{member.name} ({member.initials}) may sign in again.")
    return 0


def _verify_audit(url: str, against: list[str], typed: list[str]) -> int:
    """Exit 0 with the row count and head hash when the chain holds (and every checkpoint given,
    a rollback by a restore the trail records being said, not failed); 1 naming the first break or
    each checkpoint that fails (and a folder or file holding none of this trail's); 2 when the database
    or a checkpoint cannot be read, or a folder or file given holds no checkpoint at all. A run on the
    live database (a server's, or a file this PC's app has opened) is recorded in it; a copy is only
    read."""
    from desk_app.store.anchor_check import check_checkpoints, gather_checkpoints
    from desk_app.store.audit import verify_audit
    from desk_app.store.checkpoints import CheckpointError
    from desk_app.store.database import open_read_only

    try:
        checkpoints, unreadable = gather_checkpoints([Path(place).expanduser() for place in against], typed)
    except CheckpointError as error:
        print(f"desk-app audit: {error} Nothing was checked.", file=sys.stderr)
        return 2
    try:
        db = open_read_only(url)
    except DatabaseOpenError as error:
        print(f"desk-app audit: {error}", file=sys.stderr)
        return 2
    try:
        report = verify_audit(db)
        anchors = check_checkpoints(db, checkpoints, unreadable) if against or typed else None
    finally:
        db.close()
    ok = report.ok and (anchors is None or anchors.ok)
    print(report, file=sys.stdout if report.ok else sys.stderr)
    if anchors is not None:
        for notice in anchors.notices:
            print(f"NOTE: {notice}")
        for failure in anchors.failures:
            print(f"Checkpoint FAILED: {failure}.", file=sys.stderr)
        print(anchors.summary(), file=sys.stdout if ok else sys.stderr)
    _record_verify_run(url, report, anchors)
    return 0 if ok else 1


def _record_verify_run(url: str, report: AuditReport, anchors: AnchorCheck | None) -> None:
    """Write the run's result into the live database; a copy (a backup, a file sent for a check) is
    never written to. A failure to record is said, and does not change the verdict."""
    import getpass
    import sqlite3
    from datetime import UTC, datetime

    from peewee import PeeweeException

    from desk_app.paths import opened_databases
    from desk_app.store.anchoring import record_verify
    from desk_app.store.database import open_database

    if not is_postgres_url(url) and sqlite_path_from_url(url).resolve() not in opened_databases():
        return
    try:
        db = open_database(url, create=False)
        try:
            record_verify(db, datetime.now(UTC), report, anchors, None, f"{getpass.getuser()} (terminal)")
        finally:
            db.close()
    except (DatabaseOpenError, DomainError, PeeweeException, sqlite3.Error) as error:
        print(f"desk-app audit: the run could not be recorded in the audit trail ({error}).", file=sys.stderr)


def _migrate(url: str, desk_login: str) -> int:
    """Exit 0 when the server database is at this app's schema and the desks' login has exactly what
    a desk needs; 2 when it cannot be opened or a login is refused (the message says why)."""
    from desk_app.store.database import open_as_owner
    from desk_app.store.migrations import LATEST_VERSION
    from desk_app.store.server_address import describe, with_login

    if not is_postgres_url(url):
        print(
            "desk-app migrate: works on a PostgreSQL database (--db postgresql://OWNER@HOST:PORT/NAME). "
            "A database file is brought up to date by the app itself when it opens it.",
            file=sys.stderr,
        )
        return 2
    try:
        open_as_owner(url, desk_login).close()
    except DatabaseOpenError as error:
        print(f"desk-app migrate: {error}", file=sys.stderr)
        return 2
    print(
        f"{describe(url)} is at schema {LATEST_VERSION}. The desks' login {desk_login} may read it, add "
        "records and make only the changes a desk makes. Desks open it as "
        f"{with_login(url, desk_login)} (the password in each desk's ~/.pgpass)."
    )
    return 0


def _migrate_to(target_url: str, source_url: str, desk_login: str, *, undo: bool = False) -> int:
    """Exit 0 when every row is copied and checked (or the move is undone); 1 when refused or stopped
    (the message says what is on the server); 2 when either database cannot be opened.

    The file is marked "moving" before the copy, so no desk works on it meanwhile; a rerun after a
    kill finishes the move (the server holds the copy: same audit head) or copies again (the
    server's transaction never committed, so it is empty)."""
    from datetime import UTC, datetime

    from desk_app.store.copying import (
        copy_database,
        mark_moved,
        mark_moving,
        moving_to,
        server_holds_copy_of,
        undo_moving,
    )
    from desk_app.store.database import open_as_owner, open_database
    from desk_app.store.errors import OutcomeUnknown
    from desk_app.store.server_address import describe, is_postgres_url, with_login
    from desk_app.terminal_progress import terminal_progress

    if not is_postgres_url(target_url) or is_postgres_url(source_url):
        print(
            "desk-app migrate-to: copies a database file (--db) to a PostgreSQL database "
            "(postgresql://USER@HOST:PORT/NAME).",
            file=sys.stderr,
        )
        return 2
    try:
        source = open_database(source_url, create=False, moving_ok=True)
    except DatabaseOpenError as error:
        print(f"desk-app migrate-to: {error}", file=sys.stderr)
        return 2
    try:
        target = open_as_owner(target_url, desk_login)  # the tables made, the desks' login given its rights
    except DatabaseOpenError as error:
        source.close()
        print(f"desk-app migrate-to: {error}", file=sys.stderr)
        return 2
    where = describe(with_login(target_url, desk_login))  # where the desks go, named in the file
    try:
        started = moving_to(source)
        if started is not None and started != where:
            raise DomainError(
                f"This file's move to {started} did not finish; finish it (desk-app migrate-to "
                f"postgresql://{started}) or undo it (add --undo) before moving it elsewhere."
            )
        on_server = server_holds_copy_of(source, target)
        if undo:
            if on_server is not None:
                raise DomainError(
                    f"{where} already holds records (this file's, or later work): the move cannot be "
                    "undone from here. Run migrate-to again without --undo to finish it."
                )
            if started is not None:
                undo_moving(source, where, datetime.now(UTC))
            print(f"The move to {where} is undone: desks may open {shown_name(source_url)} again.")
            return 0
        if on_server is False:
            raise DomainError("The PostgreSQL database already holds records; nothing was copied.")
        _refuse_desks_with_the_file_open(source, source_url)
        if started is None:
            mark_moving(source, where, datetime.now(UTC))
            try:  # a desk that opened the file just before the mark went down
                _refuse_desks_with_the_file_open(source, source_url)
            except DomainError:
                undo_moving(source, where, datetime.now(UTC))
                raise
        if on_server:
            print(f"{where} already holds every record of this file (the same audit head); finishing.")
        else:
            lines = terminal_progress(sys.stderr)  # table names and counts, on a terminal only
            try:
                try:
                    copied = copy_database(source, target, lines)
                finally:
                    if lines is not None:
                        lines.finish()
                print(copied)
            except OutcomeUnknown:
                raise DomainError(
                    "The server stopped answering while the copy was being committed: it may or may not "
                    "hold it. The file stays closed for work. Run the same migrate-to again: it finishes "
                    "the move or copies again."
                ) from None
            except DomainError:
                if started is None:  # refused, nothing on the server: the file is usable again
                    undo_moving(source, where, datetime.now(UTC))
                raise
        mark_moved(source, where, datetime.now(UTC))
    except DomainError as error:
        print(f"desk-app migrate-to: {error}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    print(
        f"Point every desk at postgresql://{where} now (desk-app config set database "
        f"postgresql://{where} on each), with the desks' login's "
        "password in each desk's ~/.pgpass. The file is kept as it was and marked as moved: the app no "
        "longer opens it."
    )
    return 0


def _refuse_desks_with_the_file_open(source: Database, source_url: str) -> None:
    """A desk already working on the file would go on writing where nobody looks once it moves."""
    from desk_app.store.presence import programs_using

    path = sqlite_path_from_url(source_url).resolve()
    own = getattr(getattr(source, "presence", None), "mark", None)
    if users := programs_using(path, ignore=own):
        raise DomainError(
            f"The file is open in {'; '.join(users)}. Close Treatment Desk there first: its work would "
            "be left behind in the file. Nothing was moved."
        )


def _unusable_database_path(command: str, url: str) -> bool:
    """Say on stderr, and return True, when `url` names a path where no database file can be: checked
    before any command touches it (a FIFO would hang it, an unreachable path end in a traceback)."""
    if is_postgres_url(url):
        return False
    from desk_app.store.backup import BackupError
    from desk_app.store.restoring import finish_unfinished_restore

    path = sqlite_path_from_url(url)
    try:
        # Any command but the read-only verify first finishes or undoes a restore that was killed:
        # a symlinked --db may point nowhere until it has.
        if command != "audit" and (done := finish_unfinished_restore(path.resolve())) is not None:
            print(
                f"desk-app {command}: a restore of {path} stopped halfway has been {done}.", file=sys.stderr
            )
    except BackupError as error:
        print(f"desk-app {command}: {error}", file=sys.stderr)
        return True
    except OSError:
        pass  # a path that cannot be reached: check_database_path says why
    try:
        check_database_path(path)
    except DatabaseOpenError as error:
        print(f"desk-app {command}: {error}", file=sys.stderr)
        return True
    return False


def _chosen_database(args: argparse.Namespace, settings: PcSettings) -> str | None:
    """The database a command works on, None when it cannot be used (the reason said on stderr)."""
    if args.command == "demo":
        # Never the default, $DESK_APP_DB or this PC's setting: training data must not land in the
        # real records.
        url = args.command_db or args.db
        if not url:
            print("desk-app demo: say where with --db PATH (a new file).", file=sys.stderr)
            return None
    elif (
        url := _database_url(
            f"desk-app {args.command}",
            args.command_db or getattr(args, "export_db", None) or args.db,
            settings,
        )
    ) is None:
        return None
    return None if _unusable_database_path(args.command, url) else url


def main(argv: list[str] | None = None, settings: PcSettings | None = None) -> int:
    """`settings`: this PC's settings (injectable; by default in the user's config folder)."""
    args = _parser().parse_args(argv)
    # The window and every command are logged alike: the manager finds them all in one log.
    with logged_run(f"desk-app {args.command}" if args.command else "the window") as ended:
        return ended(_run(args, settings or PcSettings()))


def _run(args: argparse.Namespace, settings: PcSettings) -> int:
    if args.command is None:
        from desk_app.app import run

        return run(args.db, new_clinic=args.new_clinic, settings=settings)
    launch.started()  # a command (a verify, a copy to a server) may run long: collected as usual
    if args.command == "config":
        from desk_app.config_cli import run_config_command

        return run_config_command(args, settings)
    if (url := _chosen_database(args, settings)) is None:
        return 2
    if args.command == "demo":
        from desk_app.store.demo import build_demo

        try:
            summary = build_demo(url)
        except (DatabaseOpenError, DomainError) as error:
            print(f"desk-app demo: {error}", file=sys.stderr)
            return 1
        print(summary)
        return 0
    if args.command in ("backup", "restore", "check"):
        from desk_app.backups_cli import run_backup_command

        return run_backup_command(args.command, url, args)
    if args.command == "unlock":
        return _unlock(args.initials, url)
    if args.command == "migrate":
        return _migrate(url, args.desk_login)
    if args.command == "migrate-to":
        return _migrate_to(args.target, url, args.desk_login, undo=args.undo)
    if args.command == "audit":
        return _verify_audit(url, args.against, args.checkpoint)
    if args.document == "register" and not (args.csv or args.pdf):
        args.usage_error("say what to write: --csv FILE, --pdf FILE or both")
    try:  # an export must not land among this PC's backups, as in the window
        this_pc_backups = settings.backup_folder()
    except SettingsError as error:
        print(f"desk-app export: {error}", file=sys.stderr)
        return 2
    if args.document == "register":
        from desk_app.exporting import register_main

        return register_main(
            args.from_day,
            args.to_day,
            args.device,
            args.csv,
            args.pdf,
            url,
            replace=args.force,
            this_pc_backups=this_pc_backups,
        )
    from desk_app.exporting import main as export_main

    return export_main(
        args.document, args.subject, args.pdf, url, replace=args.force, this_pc_backups=this_pc_backups
    )
