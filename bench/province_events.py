"""The registry's envelopes for a generated province's households, step by step: what its
relay would have published for them (see ``bench.province``)."""

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pydantic_core

from tuopin_contracts.catalogue import EventData
from tuopin_contracts.events import registry as reg

if TYPE_CHECKING:
    from bench.province import Household

SOURCE = "/tuopin/registry"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "明华建国志强秀英桂兰玉梅海军小平文杰子涵丽娟永福春花金宝红霞德胜"
CAUSES = [
    "illness",
    "disability",
    "schooling",
    "disaster",
    "lack_of_land",
    "lack_of_water",
    "lack_of_technology",
    "lack_of_labour",
    "lack_of_funds",
    "lack_of_transport",
    "own_effort",
]
LINE = {2015: 285_500, 2016: 295_200, 2017: 333_500, 2018: 362_000}  # fen, for the incomes


class Stream:
    """Serialises the registry's envelopes for the steps of one phase: recorded on the
    morning of their business date (entered on time), or all at ``recorded`` (back-filled
    late, ``bench.backfill``)."""

    def __init__(self, rng: random.Random, recorded: datetime | None = None) -> None:
        self.rng, self.recorded = rng, recorded

    def envelope(
        self,
        event_id: UUID,
        subject: str,
        sequence: int,
        model: type[EventData],
        data: dict[str, Any],
    ) -> tuple[bytes, bytes]:
        on = date.fromisoformat(data["effective_date"])
        when = self.recorded or datetime(on.year, on.month, on.day, 2, tzinfo=UTC)
        when += timedelta(seconds=self.rng.randrange(36_000))
        envelope = {
            "specversion": "1.0",
            "id": str(event_id),
            "source": SOURCE,
            "type": model.TYPE,
            "subject": subject,
            "time": when.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": data,
            "sequence": sequence,
            "correlationid": str(event_id),
            "actor": f"office-{subject[:6] if subject[0] == '6' else 'county'}",
        }
        return subject.encode(), pydantic_core.to_json(envelope)

    def member(self, h: "Household", k: int, head_born: int) -> dict[str, Any]:
        rng = self.rng
        if k == 0:
            relation, born = "head", head_born
        elif k == 1 and h.size > 2:
            relation, born = "spouse", head_born + rng.randint(-3, 5)
        elif k >= 2 and rng.random() < 0.2:
            relation, born = "parent", head_born - rng.randint(22, 32)
        else:
            relation, born = "child", head_born + rng.randint(20, 35)
        birth = date(min(born, 2016), rng.randint(1, 12), rng.randint(1, 28))
        age = 2016 - birth.year
        schooling = None
        if 3 <= age <= 18:
            schooling = (
                "preschool"
                if age < 6
                else "primary"
                if age < 12
                else "junior_secondary"
                if age < 15
                else rng.choice(["senior_secondary", "vocational", "not_in_school"])
            )
        number = f"{h.village.code[:6]}{birth:%Y%m%d}{rng.randrange(1000):03d}{rng.randrange(10)}"
        return {
            "person_id": str(h.person(k)),
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "id_number_hash": f"{rng.getrandbits(256):064x}",
            "id_number_masked": f"{number[:4]}**********{number[-4:]}",
            "relation": relation,
            "sex": rng.choice(["male", "female"]),
            "birth_date": birth.isoformat(),
            "education": rng.choice(["none", "primary", "junior_secondary"]),
            "schooling": schooling,
            "health": rng.choices(["healthy", "chronic_illness", "serious_illness"], [8, 2, 1])[0],
            "disabled": rng.random() < 0.05,
            "labour_ability": "full" if 18 <= age <= 60 else "not_working_age",
            "medical_insurance": rng.random() < 0.95,
            "pension_insurance": 18 <= age and rng.random() < 0.7,
        }

    def step(self, h: "Household", sequence: int, step: str) -> tuple[bytes, bytes]:
        rng, hid = self.rng, str(h.id)
        fact: dict[str, Any] = {"household_id": hid}

        def out(model: type, on: date, **data: Any) -> tuple[bytes, bytes]:
            payload = {**fact, "effective_date": on.isoformat(), **data}
            return self.envelope(h.event_id(sequence), hid, sequence, model, payload)

        def day(year: int, first_month: int = 1, last_month: int = 12) -> date:
            return date(year, rng.randint(first_month, last_month), rng.randint(1, 28))

        def status(model: type, on: date, to: str, **more: Any) -> tuple[bytes, bytes]:
            return out(model, on, status=to, **more)

        if step == "registered":
            head_born = rng.randint(1940, 1990)
            on = day(rng.choice([2014, 2015, 2016]))
            return out(
                reg.HouseholdRegisteredV2,
                on,
                reason=None,
                file_number=f"{h.village.code}{h.index % 10_000:04d}",
                county_code=h.village.code[:6],
                village_code=h.village.code,
                poverty_attribute=rng.choices(
                    ["general", "subsistence_allowance", "five_guarantees"], [7, 2, 1]
                )[0],
                primary_cause=rng.choice(CAUSES),
                secondary_causes=rng.sample(CAUSES, rng.randint(0, 2)),
                members=[self.member(h, k, head_born) for k in range(h.size)],
                identified_year=on.year,
            )
        if step.startswith("income-"):
            year = int(step[-4:])
            per_head = int(LINE[year] * rng.uniform(0.5, 2.2))
            total = per_head * h.size
            wages = total * rng.randint(30, 70) // 100
            return out(
                reg.IncomeRecordedV1,
                date(year + 1, 1, rng.randint(5, 25)),
                year=year,
                wages=wages,
                production_and_business=total - wages,
                property=0,
                transfers=0,
                members=h.size,
                per_head=per_head,
            )
        if step == "conditions":
            return out(
                reg.ConditionsAssessedV1,
                day(2016, 3, 9),
                housing_safe=rng.random() < 0.85,
                drinking_water_safe=rng.random() < 0.9,
            )
        if step == "cadre":
            return out(
                reg.ResponsibilityAssignedV1,
                day(2015),
                cadre_name="驻村干部",
                cadre_unit=f"{h.village.code[:6]}县扶贫办",
            )
        if step == "assistance":
            return status(reg.AssistanceStartedV1, day(2015, 1, 6), "assisting")
        if step == "member-added":
            member = self.member(h, h.size, rng.randint(1950, 1990))
            member |= {
                "relation": "grandchild",
                "birth_date": "2016-03-01",
                "schooling": None,
                "labour_ability": "not_working_age",
            }
            return out(reg.MemberAddedV1, day(2016, 3, 12), member=member)
        if step == "member-removed":
            return out(
                reg.MemberRemovedV1,
                day(2016, 1, 12),
                person_id=str(h.person(h.size - 1)),
                reason="去世",
            )
        if step == "member-updated":
            return out(
                reg.MemberUpdatedV1,
                day(2016, 1, 12),
                person_id=str(h.person(0)),
                medical_insurance=True,
            )
        if step == "exit-proposed":
            return status(
                reg.ExitProposedV1, date(2016, 9, 20), "exit_proposed", appraisal_date="2016-09-20"
            )
        if step == "exit-publicised":
            return status(
                reg.ExitPublicisedV1,
                date(2016, 10, 1),
                "exit_publicised",
                notice_from="2016-10-01",
                notice_until="2016-10-07",
            )
        if step in ("exited", "exit-rejected"):
            notice = h.event_id(sequence - 1)  # the notice comes right before the answer
            verification = str(uuid5(NAMESPACE_URL, f"tuopin:exit-notice:{notice}"))
            if step == "exited":
                return status(
                    reg.HouseholdExitedV1, date(2016, 10, 9), "exited", verification_id=verification
                )
            return status(
                reg.ExitRejectedV1,
                date(2016, 10, 9),
                "assisting",
                verification_id=verification,
                failed_criteria=["housing_safe"],
            )
        if step == "returned":
            return status(reg.ReturnedToPovertyV1, day(2018, 1, 6), "returned", cause="illness")
        if step == "removed":
            return status(reg.HouseholdRemovedV1, day(2017), "removed", reason="识别不准")
        raise ValueError(step)
