"""The columns every append-and-supersede table shares."""

from piccolo.columns import BigSerial, Integer, Timestamptz

from connecting_families.accounts.tables import User
from connecting_families.database.columns import refers_to
from connecting_families.imports.tables import ImportRun
from connecting_families.programmes.tables import Programme


class Recorded:
    """Mixin: where a row came from and the span in which the service held it to be true.

    A row is *live* while `superseded_at` is NULL. A correction sets `superseded_at` on the
    old row and inserts a new one, so "as known at T" is
    `recorded_at <= T AND (superseded_at IS NULL OR superseded_at > T)`.
    """

    id = BigSerial(primary_key=True)
    programme = refers_to(Programme)
    recorded_at = Timestamptz()
    superseded_at = Timestamptz(null=True, default=None)
    import_run = refers_to(ImportRun, null=True)
    recorded_by = refers_to(User, null=True)
    # 1 for the first version of a record; each correction's row has the next number.
    version = Integer(default=1)
