"""Who may do what on the clinic's PostgreSQL database (issue 17; design §6b).

Two logins. The owner's (the clinic's administrator) owns the tables: it creates and upgrades them
(`desk-app migrate`) and can alter them, so it never sits on a desk. The desks' login may read every
table and add rows, and change in place only the few columns a desk changes: it cannot disable a
trigger, empty or delete an append-only table, or change the schema, so a desk's password alone
cannot rewrite the records' history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from peewee import Database

logger = logging.getLogger(__name__)

# The columns a desk changes in place (grep desk_app/store for .update(), by table; every other
# table is append-only to the desks' login.
DESK_UPDATES: dict[str, tuple[str, ...]] = {
    # A member renamed, given another role, made inactive; their password, PIN and failure counts.
    "staff": ("name", "initials", "role", "active"),
    "staff_credential": ("password_hash", "pin_hash", "failed_sign_ins", "failed_pins", "locked"),
    # A registration corrected or archived (each change kept in patient_change), and its search keys.
    "patient": (
        *("given_names", "family_name", "date_of_birth", "clinic_number", "phone", "email"),
        *("fitzpatrick", "allergies", "notes", "archived", "search_text", "sort_key"),
    ),
    # A device's details changed or the device retired (kept in laser_device_change).
    "laser_device": (
        *("make", "model", "serial_number", "wavelengths_nm", "laser_class", "eyewear_marking"),
        *("lpa_name", "next_service_on", "retired_at", "retired_by_id", "retired_reason"),
    ),
    # A session signed out or stopped, or taken over by another member of staff.
    "treatment_session": ("status", "holder_id", "ended_at"),
    # The clinic's printed details (each change kept in clinic_setting_change).
    "clinic_setting": ("value",),
}
# A patient's search words are written again at each change of name or clinic number.
DESK_DELETES = ("patient_word",)
# Read by the desks (which schema they find), written by migrate only.
OWNER_ONLY = ("schema_migration",)
_TABLE_RIGHTS = ("INSERT", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


class LoginRefused(Exception):
    """A login is not fit for what it was given to do; the message says why and what to do."""


def quoted(name: str) -> str:
    """A role's or table's name as an SQL identifier, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


def clinic_schema(db: Database) -> str | None:
    """The schema holding the clinic's tables (where schema_migration is), None in an empty database.
    Read from the catalogue, which any login may read: a login not let into the schema sees it too."""
    (schema,) = db.execute_sql(
        "SELECT COALESCE((SELECT relnamespace FROM pg_class WHERE oid = to_regclass('schema_migration')), "
        "(SELECT min(relnamespace) FROM pg_class WHERE relname = 'schema_migration' AND relkind = 'r'))"
        "::regnamespace::text"
    ).fetchone()
    return schema


def _schema(db: Database) -> str:
    schema = clinic_schema(db)
    assert schema is not None, "called on a database with the clinic's tables only"
    return schema


def _listed(rights: tuple[str, ...], shown: int = 4) -> str:
    """The first few rights, and how many more: a login with none would otherwise get a page."""
    more = f" and {len(rights) - shown} more" if len(rights) > shown else ""
    return ", ".join(rights[:shown]) + more


@dataclass(frozen=True)
class Rights:
    """What a login may do on the clinic's tables beyond a desk's needs, and what it lacks of them."""

    owns: bool  # a superuser, or able to become one or the owner of the tables or their schema
    beyond: tuple[str, ...]
    lacking: tuple[str, ...]


def rights_of(db: Database, login: str) -> Rights:
    """Compare what `login` may do (through any role it belongs to) with what a desk needs."""
    schema = _schema(db)
    params = {"login": login, "schema": schema}
    (owns,) = db.execute_sql(
        # MEMBER, not USAGE: a member without INHERIT may still SET ROLE to the owner or a superuser.
        "SELECT pg_has_role(r.oid, n.nspowner, 'MEMBER') OR EXISTS ("
        "  SELECT 1 FROM pg_roles s WHERE (s.rolsuper OR s.rolcreaterole)"
        "  AND pg_has_role(r.oid, s.oid, 'MEMBER')"
        ") OR EXISTS ("
        "  SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'S')"
        "  AND pg_has_role(r.oid, c.relowner, 'MEMBER')) "
        "FROM pg_roles r, pg_namespace n WHERE r.rolname = %(login)s AND n.nspname = %(schema)s",
        params,
    ).fetchone()
    tables = {
        name: (select, rights)
        for name, select, rights in db.execute_sql(
            "SELECT c.relname, has_table_privilege(%(login)s, c.oid, 'SELECT'), "
            "ARRAY(SELECT p FROM unnest(%(rights)s::text[]) p "
            "      WHERE has_table_privilege(%(login)s, c.oid, p)) "
            "FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p')",
            params | {"rights": list(_TABLE_RIGHTS)},
        )
    }
    updatable: dict[str, set[str]] = {}
    for table, column in db.execute_sql(
        "SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
        "AND NOT a.attisdropped AND has_column_privilege(%(login)s, c.oid, a.attnum, 'UPDATE')",
        params,
    ):
        updatable.setdefault(table, set()).add(column)
    sequences = db.execute_sql(
        "SELECT c.relname, has_sequence_privilege(%(login)s, c.oid, 'USAGE'), "
        "has_sequence_privilege(%(login)s, c.oid, 'UPDATE') "
        "FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind = 'S'",
        params,
    ).fetchall()
    (creates, uses) = db.execute_sql(
        "SELECT has_schema_privilege(%(login)s, %(schema)s, 'CREATE'), "
        "has_schema_privilege(%(login)s, %(schema)s, 'USAGE')",
        params,
    ).fetchone()
    beyond, lacking = [], []
    if creates:
        beyond.append(f"CREATE in schema {schema}")
    if not uses:
        lacking.append(f"USAGE on schema {schema}")
    for table, (select, rights) in sorted(tables.items()):
        needed = {"DELETE"} if table in DESK_DELETES else set()
        if table not in OWNER_ONLY:
            needed.add("INSERT")
        beyond += [f"{right} on {table}" for right in rights if right not in needed]
        lacking += [f"{right} on {table}" for right in sorted(needed - set(rights))]
        if not select:
            lacking.append(f"SELECT on {table}")
        columns = updatable.get(table, set())
        wanted = set(DESK_UPDATES.get(table, ()))
        beyond += [f"UPDATE of {table}.{column}" for column in sorted(columns - wanted)]
        lacking += [f"UPDATE of {table}.{column}" for column in sorted(wanted - columns)]
    for sequence, usage, update in sequences:
        if update:
            beyond.append(f"UPDATE on sequence {sequence}")
        if not usage:
            lacking.append(f"USAGE on sequence {sequence}")
    return Rights(bool(owns), tuple(beyond), tuple(lacking))


def refuse_unfit_desk_login(db: Database) -> None:
    """A desk works only as the desks' login: never as the owner, a superuser, or a login that may
    do more than a desk needs (it would let whoever has the desk's password rewrite history)."""
    session_login, login = db.execute_sql("SELECT session_user, current_user").fetchone()
    for who in dict.fromkeys((session_login, login)):
        rights = rights_of(db, who)
        if rights.owns:
            raise LoginRefused(
                f"The login {who} owns the clinic's tables (or may act as their owner, or as a "
                "superuser): with it anyone could rewrite or delete the records. Desks must sign in "
                "with the desks' login; the owner only runs desk-app migrate. Put the desks' login "
                "in the address (desk-app config set database, or --db; see the README). Nothing was changed."
            )
        if rights.beyond:
            raise LoginRefused(
                f"The login {who} may do more than a desk needs ({_listed(rights.beyond)}): with it "
                f"anyone could rewrite or delete records. Ask the clinic's administrator to run "
                f"desk-app migrate --desk-login {who}, which takes these rights back. Nothing was changed."
            )
        if rights.lacking:
            raise LoginRefused(
                f"The login {who} has not been given what a desk needs ({_listed(rights.lacking)}). "
                f"Ask the clinic's administrator to run desk-app migrate --desk-login {who}. "
                "Nothing was changed."
            )


def refuse_unfit_desk_candidate(db: Database, login: str) -> None:
    """Before migrating: the desks' login must exist, and be neither the owner nor able to act as it."""
    row = db.execute_sql(
        "SELECT r.rolname = current_user, EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolsuper "
        "  AND pg_has_role(r.oid, s.oid, 'MEMBER')), "
        "EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolcreaterole AND pg_has_role(r.oid, s.oid, 'MEMBER')), "
        "pg_has_role(r.oid, current_user, 'MEMBER') "
        "FROM pg_roles r WHERE r.rolname = %s",
        (login,),
    ).fetchone()
    if row is None:
        raise LoginRefused(
            f"There is no login named {login} on the server. Create it first, as the server's "
            f"administrator (CREATE ROLE {quoted(login)} LOGIN PASSWORD '...'; see the README). "
            "Nothing was changed."
        )
    itself, superuser, creates_roles, member = row
    if itself or superuser or creates_roles or member:
        why = (
            "it is the login running this command, which owns the tables"
            if itself
            else "it is (or may become) a superuser"
            if superuser
            else "it may create roles (or become one that may), and so make itself the owner"
            if creates_roles
            else "it may act as the owner of the tables (it is a member of it)"
        )
        raise LoginRefused(
            f"{login} cannot be the desks' login: {why}. The desks need a login of their own, with "
            "no more rights than a desk needs (see the README). Nothing was changed."
        )


def grant_desk_login(db: Database, login: str) -> None:
    """Give `login` exactly what a desk needs on every table of the clinic, and take everything
    else back from it, from PUBLIC and from any other role; then check the result. Idempotent.
    Run by the owner, in the write transaction, after migrating."""
    schema, desk = _schema(db), quoted(login)
    database = db.execute_sql("SELECT current_database()").fetchone()[0]
    tables = [
        name
        for (name,) in db.execute_sql(
            "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind IN ('r', 'p') "
            "ORDER BY relname",
            (schema,),
        )
    ]
    others = [
        name
        for (name,) in db.execute_sql(
            "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p', 'S') AND a.grantee <> 0 "
            "AND a.grantee <> c.relowner AND pg_get_userbyid(a.grantee) <> %s ORDER BY 1",
            (schema, login),
        )
    ]
    if others:
        logger.warning("Rights on the clinic's tables taken back from: %s", ", ".join(others))
    losing = ", ".join(["PUBLIC", desk, *map(quoted, others)])
    statements = [
        f"REVOKE ALL ON DATABASE {quoted(database)} FROM PUBLIC, {desk}",
        f"GRANT CONNECT ON DATABASE {quoted(database)} TO {desk}",
        f"REVOKE ALL ON SCHEMA {quoted(schema)} FROM PUBLIC, {desk}",
        f"GRANT USAGE ON SCHEMA {quoted(schema)} TO {desk}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted(schema)} FROM {losing}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted(schema)} FROM {losing}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {quoted(schema)} TO {desk}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted(schema)} TO {desk}",
    ]
    for table in tables:
        if table not in OWNER_ONLY:
            statements.append(f"GRANT INSERT ON {quoted(table)} TO {desk}")
        if table in DESK_DELETES:
            statements.append(f"GRANT DELETE ON {quoted(table)} TO {desk}")
        if columns := DESK_UPDATES.get(table):
            statements.append(
                f"GRANT UPDATE ({', '.join(map(quoted, columns))}) ON {quoted(table)} TO {desk}"
            )
    for statement in statements:
        db.execute_sql(statement)
    rights = rights_of(db, login)
    if rights.owns or rights.beyond:
        what = ("ownership of the tables",) if rights.owns else rights.beyond
        raise LoginRefused(
            f"{login} would still have rights a desk must not have ({_listed(what)}), through a role it "
            "belongs to or a right this login cannot take back. Take them back as the server's "
            "administrator (REVOKE), then run desk-app migrate again."
        )
    if rights.lacking:
        raise LoginRefused(
            f"{login} could not be given what a desk needs ({_listed(rights.lacking)}): run desk-app "
            "migrate as the login that owns the clinic's tables."
        )
