"""Administrative region codes shared by every event and API (GB/T 2260, statistical codes)."""

from typing import Annotated

from pydantic import Field

CountyCode = Annotated[
    str,
    Field(
        pattern=r"^62[0-9]{4}$",
        description="GB/T 2260 county code (县级行政区划代码); Gansu codes start with 62.",
        examples=["621121"],
    ),
]

VillageCode = Annotated[
    str,
    Field(
        pattern=r"^62[0-9]{10}$",
        description="12-digit statistical code of the village (行政村), within Gansu.",
        examples=["621121100201"],
    ),
]
