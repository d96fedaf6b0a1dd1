"""The programme's evidence version: what cached verdicts are valid for."""

from connecting_families.programmes.tables import Programme


async def evidence_changed(programme_id: int) -> None:
    """Move the programme's evidence version on: its cached verdicts are out of date."""
    await Programme.update({Programme.evidence_version: Programme.evidence_version + 1}).where(
        Programme.id == programme_id
    )
