"""The example filings' resident ID numbers pass the kernel's check for any birth date."""

from datetime import date

import pytest

from tuopin_contracts.dates import today
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_registry.examples import resident_id

KEYS = IdentityKeys("test-identity-key")


@pytest.mark.parametrize(
    "birth", [date(1900, 1, 1), date(1950, 3, 8), date(1982, 12, 31), date(2003, 1, 1), today()]
)
@pytest.mark.parametrize("male", [True, False])
def test_example_numbers_are_valid_for_any_birth_date(birth: date, male: bool) -> None:
    """issue 14.1: the default region 620102 dates from 1983; earlier births were refused."""
    resident = KEYS.resident(resident_id(birth, male=male))
    assert (resident.birth_date, resident.sex) == (birth, "male" if male else "female")
