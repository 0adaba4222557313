"""Audit actions that record a look, not a change: a nurse opening a record or searching, a verify run,
a backup. Another desk seeing only these need not read its pages again (Desk.changed_elsewhere).
And the rows written with the PC's own clock as a database is made or upgraded (not by an action on
a desk's clock): here, not in store.replay_check which checks them, so a start that writes or
upgrades imports no replay of the rules."""

from __future__ import annotations

RECORD_OPENED = "record opened"
PATIENTS_SEARCHED = "patients searched"
VERIFY_ACTION = "audit trail verified"
BACKUP_ACTION = "database backed up"
PHOTOS_VIEWED = "photos viewed"
# A print to paper is logged before its pages leave the PC, then its outcome (issue 22): a print
# the printer took is in the print log ("printed"); one it did not take is only in the trail.
PRINT_ATTEMPTED = "print attempted"
PRINT_NOT_SENT = "print not sent"
PRINT_UNCONFIRMED = "print unconfirmed"  # handed over; the print system did not say whether taken

CHANGES_NO_RECORD = frozenset(
    {
        RECORD_OPENED,
        PATIENTS_SEARCHED,
        VERIFY_ACTION,
        BACKUP_ACTION,
        PHOTOS_VIEWED,
        PRINT_ATTEMPTED,
        PRINT_NOT_SENT,
        PRINT_UNCONFIRMED,
    }
)

# The events migration 5 entered, the seals of an upgrade, the database's id.
PRE_TRAIL = "recorded before the audit trail"
ID_MADE = "database id made"
UPGRADE_SEALS = "rows sealed at the upgrade to schema "
