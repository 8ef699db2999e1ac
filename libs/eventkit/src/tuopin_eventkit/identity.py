"""Resident identity (居民身份证号码, GB 11643): validation, keyed hash, masking.

The clear number is kept only in the registry's own people table; events and every other
service see the keyed hash (to join and deduplicate) and the masked form. Every service
that is handed a number (a bank's borrower, a centre's trainee) hashes it with the same
key, so it finds the person in its read model without ever storing the number.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from tuopin_contracts.vocabulary import Sex
from tuopin_eventkit.aggregate import RuleViolation


@dataclass(frozen=True)
class ResidentId:
    number: str
    hash: str
    masked: str
    birth_date: date
    sex: Sex


class IdentityKeys:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def resident(self, raw: str) -> ResidentId:
        """Validate a resident ID number (checksum, birth date, region) or say why not."""
        try:
            number = _validate(raw)
        except ValidationError as exc:
            raise RuleViolation(f"invalid resident ID number {mask_id(raw)}: {exc}") from exc
        return ResidentId(
            number=number,
            hash=hmac.new(self._secret, number.encode(), hashlib.sha256).hexdigest(),
            masked=mask_id(number),
            birth_date=ric.get_birth_date(number),
            # The 17th digit is odd for men and even for women.
            sex=Sex.MALE if int(number[16]) % 2 else Sex.FEMALE,
        )


def _validate(raw: str) -> str:
    """``ric.validate``, with its costly birth-place lookup remembered per region and year
    (millions of people share a few thousand of them in a bulk import)."""
    number = ric.compact(raw)
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isdigit():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    _birth_place_known(number[:6], ric.get_birth_date(number).year)
    return number


@lru_cache(maxsize=65536)
def _birth_place_known(region: str, year: int) -> None:
    """Raises InvalidComponent if the region code did not exist in that year."""
    ric.get_birth_place(f"{region}{year}0101000")  # only region and year are looked at


def mask_id(number: str) -> str:
    """Keep only the last four characters: **************123X.

    Never more: the first six digits are the birth place (for most people the county of
    their household, which every record names) and the next eight the birth date, so a
    mask that kept the region, beside a published birth date, gave the whole number back.
    The last four (sequence and check digit) leave the region and the birth date to guess,
    which is why no output carries a full birth date beside a mask (SECURITY.md)."""
    number = number.strip()
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


def mask_name(name: str) -> str:
    """Public notices (公告公示) show names partly: 王*, 王*明, 欧阳**锋."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
