"""Resident ID numbers (GB 11643): a number keeps the area code it was first issued under,
so any code GB/T 2260 ever issued is taken, whatever the birth year; the structure, the
birth date and the check digit are still checked, and a refusal says which part is wrong."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from stdnum.cn import ric

from tuopin_contracts.dates import today
from tuopin_eventkit.security.identity import IdentityKeys, is_resident_id, mask_id
from tuopin_eventkit.store.aggregate import RuleViolation

KEYS = IdentityKeys("test-identity-key")


def numbered(body: str) -> str:
    """The 17 digits with their check digit (ISO 7064 MOD 11-2)."""
    return body + ric.calc_check_digit(body + "0")


def test_a_tongwei_number_issued_before_dingxi_recoded_is_taken() -> None:
    """issue 14.1: 621121 is 通渭 since 定西 became a city in 2003; stdnum's own check ties
    the code to its period and refused everyone born there before."""
    number = "621121198001010113"
    assert not ric.is_valid(number)  # what was refused
    resident = KEYS.resident(number)
    assert resident.number == number and resident.masked == "**************0113"
    assert (resident.birth_date.isoformat(), resident.sex) == ("1980-01-01", "male")
    assert is_resident_id(number)


@pytest.mark.parametrize(
    "body",
    [
        "62242119800101011",  # 定西县, abolished in 2003
        "62242419800101012",  # 通渭县 under 定西地区, its code before 2003
        "62242219800101013",  # 定西's 靖远县, moved to 白银 in 1985
        "62112119500101011",  # today's 通渭 code, born long before it existed
        "62242120100101011",  # an old code, born after it went: still issued once
        "62011219840101011",  # 兰州's 白银区, 1983 to 1985 only
        "62010219000101011",  # 城关区 (from 1983), born on the first day taken
    ],
)
def test_any_code_ever_issued_is_taken_whatever_the_birth_year(body: str) -> None:
    """issue 14.1: renamed and abolished 定西 and 兰州 codes, and codes older than the
    person, are all codes GB/T 2260 issued."""
    number = numbered(body)
    assert KEYS.resident(number).number == number
    assert is_resident_id(number)


TOMORROW = today() + timedelta(days=1)


@pytest.mark.parametrize(
    ("number", "needle"),
    [
        (numbered("99999919800101011"), "area code (first six digits) was never issued"),
        (numbered("62019919800101011"), "area code (first six digits) was never issued"),
        (numbered("62999919800101011"), "area code (first six digits) was never issued"),
        (numbered("62112119800230011"), "birth date (digits 7 to 14) is not a real date"),
        (numbered("62112119801301011"), "birth date (digits 7 to 14) is not a real date"),
        (numbered("62112118991231011"), "birth date (digits 7 to 14) is before 1900"),
        (numbered(f"621121{TOMORROW:%Y%m%d}011"), "birth date (digits 7 to 14) is in the future"),
        ("621121198001010112", "check digit (ISO 7064 MOD 11-2 checksum) is wrong"),
        ("62112119800101011", "invalid length"),
        ("62112119800101A113", "invalid format"),
    ],
)
def test_nonsense_is_refused_naming_the_part_that_is_wrong(number: str, needle: str) -> None:
    """issue 14.1: taking historic codes must not take codes never issued, impossible
    dates or a wrong check digit; the message names the part, never its digits."""
    with pytest.raises(RuleViolation) as refused:
        KEYS.resident(number)
    message = str(refused.value)
    assert needle in message
    assert message.startswith(f"invalid resident ID number {mask_id(number)}: ")
    assert number[:6] not in message and number[6:14] not in message
    assert not is_resident_id(number)


def test_a_birth_date_of_today_in_china_is_taken() -> None:
    number = numbered(f"621121{today():%Y%m%d}012")
    assert KEYS.resident(number).birth_date == today()


def test_the_same_number_hashes_alike_however_written() -> None:
    number = "62242219800101015X"
    assert KEYS.resident(" 62242219800101015x ").hash == KEYS.resident(number).hash
    # Already compact (the quick path) or full-width digits (stdnum's clean-up): alike.
    fullwidth = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "X"
    for written in ("62242219800101015x", fullwidth):
        resident = KEYS.resident(written)
        assert (resident.number, resident.hash) == (number, KEYS.resident(number).hash)
        assert str(resident.birth_date) == "1980-01-01" and resident.sex == "male"


@pytest.mark.parametrize("secret", ["test-identity-key", "长密钥" * 30, "k" * 64])
def test_the_hash_is_hmac_sha256_of_the_compact_number(secret: str) -> None:
    """Keyed once as HMAC's inner and outer hashes: still RFC 2104's HMAC-SHA256, which
    every service hashing a number must agree on (keys longer than a block included)."""
    number = "62242219800101015X"
    expected = hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()
    assert IdentityKeys(secret).resident(number.lower()).hash == expected
