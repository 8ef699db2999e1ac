"""Bounded input types: what the domain can hold, said once for every model.

Every number, date and string a client, a bank or a training centre sends is one of these
(or one of them narrowed further, e.g. ``Annotated[Year, Field(ge=2013)]``), so a hostile
value — ``1e30`` people, the year 9999, a NUL byte — is a 422 problem at the door, never
an overflow in date arithmetic or a 500 from a database column.

Compose by nesting, never by assigning a ``Field`` to a field of these types: pydantic
keeps the inner constraint when the outer one is given as the field's default, so write
``name: Annotated[Text, Field(min_length=1, max_length=50)]``, not
``name: Text = Field(max_length=50)`` (which would still allow ``MAX_TEXT`` characters).
"""

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AwareDatetime, Field

from tuopin_contracts.dates import FIRST_DAY, FIRST_YEAR, LAST_DAY, LAST_YEAR

# Ten billion yuan: above any single amount of the programme (the province's whole
# microcredit ceiling is 40 billion), far below a 64-bit integer column even summed.
MAX_FEN = 10**12
# One hundred million: above the population of any region Tuopin counts (Gansu has 26
# million people), so any count of people, households, villages or items fits.
MAX_COUNT = 10**8
# What a 64-bit integer column holds: the bound of computed sums (balances, totals).
MAX_INT64 = 2**63 - 1
# Longest free text taken in; every field narrows it.
MAX_TEXT = 2000

Fen = Annotated[
    int, Field(ge=0, le=MAX_FEN, description="An amount in fen (分), at most 10^12; never a float")
]
PositiveFen = Annotated[Fen, Field(gt=0)]
FenTotal = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_INT64,
        description="An amount or a sum in fen (分) as recorded (a balance, a total)",
    ),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, description="A count, at most 10^8")]
Population = Annotated[Count, Field(description="A number of people, at most 10^8")]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR, description="A year, 1900–2100")]
# JSON Schema has no bounds for dates: ``formatMinimum``/``formatMaximum`` (the ajv-formats
# keywords) say them in the published OpenAPI documents.
BusinessDate = Annotated[
    date,
    Field(
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="A business date (Asia/Shanghai), 1900-01-01 to 2100-12-31",
        json_schema_extra={"formatMinimum": str(FIRST_DAY), "formatMaximum": str(LAST_DAY)},
    ),
]
EARLIEST = datetime.combine(FIRST_DAY, time(), UTC)
LATEST = datetime.combine(LAST_DAY, time.max, UTC)
Instant = Annotated[
    AwareDatetime,
    Field(
        ge=EARLIEST,
        le=LATEST,
        description="An instant with its UTC offset, within 1900–2100 (UTC)",
        json_schema_extra={
            "formatMinimum": EARLIEST.isoformat(),
            "formatMaximum": LATEST.isoformat(),
        },
    ),
]
# Any character but NUL, which PostgreSQL cannot store in text (lone surrogates, which
# no database can encode, are refused by pydantic itself).
NO_NUL = r"^[^\x00]*$"
Text = Annotated[
    str, Field(max_length=MAX_TEXT, pattern=NO_NUL, description="Text without NUL characters")
]
