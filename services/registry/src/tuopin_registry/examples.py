"""Example filings with valid resident ID numbers, for tests, demos and the import bench."""

from datetime import date
from itertools import count
from typing import Any

from stdnum.cn import ric

_serial = count(1)


def resident_id(birth: date = date(1985, 5, 17), male: bool = True, region: str = "620102") -> str:
    """A valid resident ID number (GB 11643) for any birth date from 1900 to today: the
    region may be any code GB/T 2260 ever issued, whether or not it existed at birth."""
    serial = next(_serial) % 500 * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects a placeholder check digit


def member(relation: str = "head", **more: Any) -> dict[str, Any]:
    return {
        "name": more.pop("name", "王建国"),
        "id_number": more.pop("id_number", resident_id()),
        "relation": relation,
        **more,
    }


def filing(
    file_number: str = "621121-0001", village: str = "621121100201", **more: Any
) -> dict[str, Any]:
    return {
        "file_number": file_number,
        "county_code": village[:6],
        "village_code": village,
        "poverty_attribute": "general",
        "primary_cause": "illness",
        "secondary_causes": ["lack_of_funds"],
        "identified_year": 2016,
        "effective_date": "2016-04-01",
        "members": more.pop("members", None)
        or [
            member(),
            member("spouse", name="李秀英", id_number=resident_id(male=False)),
            member(
                "child", name="王小明", id_number=resident_id(date(2008, 9, 1)), schooling="primary"
            ),
        ],
        **more,
    }


def new_village(code: str = "621121100201", **more: Any) -> dict[str, Any]:
    """A poor village as its county registers it."""
    return {
        "village_code": code,
        "name": "李家村",
        "poor": True,
        "rural_population": 812,
        "effective_date": "2016-01-01",
        **more,
    }
