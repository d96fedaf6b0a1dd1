"""Import run table: one row per file loaded (or tried)."""

from piccolo.columns import BigSerial, Integer, Timestamptz, Varchar
from piccolo.table import Table

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.programmes.tables import Programme


class ImportRun(Table):
    """Who loaded which file, when, its sha256 and what it changed."""

    id = BigSerial(primary_key=True)
    programme = refers_to(Programme)
    kind = Varchar(length=32)
    file_name = Varchar(length=255)
    sha256 = Varchar(length=64, index=True)
    # `RUN_STATUSES`: running (inside its transaction), completed, or refused (nothing
    # written; `problems` says how many the file had).
    status = Varchar(length=16, default="running")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    rows_total = Integer(default=0)
    rows_inserted = Integer(default=0)
    rows_superseded = Integer(default=0)
    rows_unchanged = Integer(default=0)
    performed_by = refers_to(User, null=True)
    # The named local operator, when a CLI command rather than a signed-in user ran it.
    operator = Varchar(length=64, null=True, default=None)
    problems = Integer(default=0)


# An import run's status: the words the API returns and the imports page shows.
RUN_STATUSES = ("running", "completed", "refused")
