"""Example requests of the training service, for tests and demos."""

from typing import Any


def grant(county: str, number: str, year: int = 2017, **changes: Any) -> dict[str, Any]:
    """The education-assistance body of a 中职 student's grant (助学金, seed 四.9(1)) for the
    school year ``year``, decided by ``county`` that October; ``changes`` for the rest."""
    return {
        "county_code": county,
        "id_number": number,
        "academic_year": year,
        "level": "secondary_vocational",
        "kind": "grant",
        "school": "通渭县职业中专",
        "decided_on": f"{year}-10-15",
        **changes,
    }
