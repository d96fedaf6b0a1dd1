"""Audit log table. Append-only: the application never updates or deletes a row."""

from piccolo.columns import JSON, BigInt, BigSerial, Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to


class AuditEvent(Table):
    """Who did what to which record, when, from where, and whether it was allowed.
    Holds identifiers only, never personal data: `detail` is for codes and counts.
    """

    id = BigSerial(primary_key=True)
    occurred_at = Timestamptz(index=True)
    actor = refers_to(User, null=True)
    # The username, or `cli:<operator>` for a command run on the server.
    actor_name = Varchar(length=80, index=True)
    # The caller's roles, comma separated.
    actor_role = Varchar(length=100, null=True, default=None)
    source = Varchar(length=64, null=True, default=None)
    action = Varchar(length=64, index=True)
    resource_type = Varchar(length=32, index=True)
    resource_id = Varchar(length=64, null=True, default=None, index=True)
    allowed = Boolean(default=True)
    detail = JSON(default="{}")
    # The programme the entry is about (its family's, claim's, team's or the programme
    # itself), or none: what scopes an auditor's search (`audit.service.search`).
    programme = Integer(null=True, default=None, index=True)
    # The hash chain (`audit.chain`): the entry's place in it, counted from 1, the hash of the
    # entry before it, and the hash over that and every other column of this one.
    seq = BigInt(null=True, default=None)
    prev_hash = Varchar(length=64, null=True, default=None)
    hash = Varchar(length=64, null=True, default=None)
