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

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from tuopin_contracts.dates import FIRST_YEAR, today
from tuopin_contracts.vocabulary import Sex
from tuopin_eventkit.store.aggregate import RuleViolation


@dataclass(frozen=True)
class ResidentId:
    number: str
    hash: str
    masked: str
    birth_date: date
    sex: Sex


class IdentityKeys:
    def __init__(self, secret: str) -> None:
        # The key's HMAC state, prepared once and copied for each number: an import
        # hashes every person of the province.
        self._keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def _hash(self, number: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(number.encode())
        return keyed.hexdigest()

    def resident(self, raw: str) -> ResidentId:
        """Validate a resident ID number (check digit, birth date, area code) or say why not."""
        try:
            number, born = _checked(raw)
        except ValidationError as exc:
            raise RuleViolation(f"invalid resident ID number {mask_id(raw)}: {exc}") from exc
        return ResidentId(
            number=number,
            hash=self._hash(number),
            masked=mask_id(number),
            birth_date=born,
            # The 17th digit is odd for men and even for women.
            sex=Sex.MALE if int(number[16]) % 2 else Sex.FEMALE,
        )


def is_resident_id(raw: str) -> bool:
    """Whether ``raw`` is a valid resident ID number by the same rule as ``resident``
    (``stdnum.cn.ric.is_valid`` refuses numbers whose area code was renamed since)."""
    try:
        _validate(raw)
    except ValidationError:
        return False
    return True


def _validate(raw: str) -> str:
    """GB 11643: structure, check digit, birth date, and an area code GB/T 2260 ever issued.

    Not ``ric.validate``: a number keeps the area code of where it was first issued, so it
    must not be tied to the code's validity period (every 通渭 621121 number born before
    定西's 2003 recoding failed it, issue 14.1)."""
    return _checked(raw)[0]


def _checked(raw: str) -> tuple[str, date]:
    """``_validate``'s number, and the birth date it read from it."""
    number = _compact(raw)
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isdigit():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum("the check digit (ISO 7064 MOD 11-2 checksum) is wrong")
    born = _check_birth_date(number)
    if not _ever_issued(number[:6]):
        raise InvalidComponent("the area code (first six digits) was never issued in GB/T 2260")
    return number, born


def _check_birth_date(number: str) -> date:
    """A real day, from 1900 to today in China. The digits are not echoed: beside the masked
    last four and the region they would give the number back."""
    try:
        born = _birth_date(number)
    except ValueError:
        raise InvalidComponent("the birth date (digits 7 to 14) is not a real date") from None
    if born.year < FIRST_YEAR:
        raise InvalidComponent(f"the birth date (digits 7 to 14) is before {FIRST_YEAR}")
    if born > today():
        raise InvalidComponent("the birth date (digits 7 to 14) is in the future")
    return born


def _compact(raw: str) -> str:
    """``ric.compact``, whose Unicode clean-up is most of a check's cost, skipped for a
    number already in its compact form (18 ASCII characters, digits and a final X)."""
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST:
        return raw.upper()
    return ric.compact(raw)


_LAST = frozenset("0123456789Xx")


def _birth_date(number: str) -> date:
    """Digits 7 to 14 of a compact number as a date (``ric.get_birth_date`` without its
    second compaction); ValueError when they are not a real day."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@lru_cache(maxsize=65536)
def _ever_issued(area: str) -> bool:
    """Whether GB/T 2260 ever listed the code, in any period, renamed or abolished since.

    The table is python-stdnum's ``cn/loc`` database (its GB/T 2260 history, every code
    with the years it was valid), read with its public ``numdb`` lookup; the periods are
    ignored. Remembered per code: millions of people share a few thousand in an import."""
    return any("county" in props for _, props in numdb.get("cn/loc").info(area))


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
