"""What an office enters (录入), as the registry's commands take it: a household's filing
(建档立卡) with its members, and a member. Strict: an unknown field is refused, text is
trimmed, and every free-text field is ``FreeText`` (an ID or mobile number typed into it
is refused, since what is typed travels unmasked into the events).

The HTTP adapter takes these as request bodies; the bulk import builds the same members
from a sheet's cells (``commands.new_member`` takes either's fields).
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts import vocabulary
from tuopin_contracts.bounds import BusinessDate, Text, Year
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.text import FreeText

Name = Annotated[FreeText, Field(min_length=1, max_length=50, description="A person's name")]
Reason = Annotated[FreeText, Field(max_length=500, description="Why (理由)")]
Year2013 = Annotated[Year, Field(ge=2013, description="A year of 建档立卡 (from 2013)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Dated(Strict):
    effective_date: BusinessDate = Field(description="When it takes effect (business date)")
    reason: Reason | None = None


class MemberEntry(Strict):
    """A member as entered (real name, 实名制): the ID number is checked (GB 11643)."""

    name: Name
    id_number: Annotated[Text, Field(min_length=15, max_length=18)] = Field(
        examples=["11010519491231002X"]
    )
    relation: vocabulary.Relation
    sex: vocabulary.Sex | None = Field(
        default=None, description="Taken from the ID number when absent"
    )
    birth_date: BusinessDate | None = Field(default=None, description="Taken from the ID number")
    education: vocabulary.Education | None = None
    schooling: vocabulary.Schooling | None = None
    health: vocabulary.Health | None = None
    disabled: bool = False
    labour_ability: vocabulary.LabourAbility | None = None
    medical_insurance: bool = False
    pension_insurance: bool = False


class HouseholdFiling(Dated):
    """建档立卡: a poor household with its members and the causes of its poverty."""

    file_number: Annotated[Text, Field(min_length=1, max_length=40)]
    county_code: CountyCode
    village_code: VillageCode
    poverty_attribute: vocabulary.PovertyAttribute
    primary_cause: vocabulary.PovertyCause
    secondary_causes: list[vocabulary.PovertyCause] = Field(default_factory=list, max_length=5)
    identified_year: Year2013
    members: list[MemberEntry] = Field(min_length=1, max_length=30)
