"""Assessment events cross the wire as the contract's events and come back unchanged: the
draw and the counts behind each rate travel with them, so an assessment replays from its
events alone."""

from dataclasses import asdict
from datetime import date
from uuid import uuid4

from tuopin_contracts import catalogue
from tuopin_evaluation.application.assessments import repository
from tuopin_evaluation.domain.assessment import Assessment, Unit
from tuopin_eventkit.store.store import EventStore


def test_every_assessment_event_round_trips_through_its_contract() -> None:
    county = "621121"
    population = [
        Unit(
            household_id=str(uuid4()),
            village_code=f"{county}1002{v:02d}",
            status="exited" if i % 2 else "assisting",
            people=1 + i % 4,
        )
        for v in (1, 2)
        for i in range(5)
    ]
    assessment = Assessment.draw(
        str(uuid4()),
        county_code=county,
        year=2017,
        assessor="西北师范大学评估组",
        seed=42,
        sample_size=6,
        population=population,
    )
    for unit in list(assessment.sample.values()):
        assessment.record_finding(
            unit.household_id,
            people=unit.people,
            wrongly_exited=(unit.people == 2) if unit.exited else None,
            approves=unit.people != 3,
        )
    assessment.record_survey(people_surveyed=150, missed_poor_people=1)
    assessment.publish()

    repo = repository(EventStore("/tuopin/evaluation"))
    wire = [repo.to_contract(e) for e in assessment.pending]
    assert [e.TYPE for e in wire] == [
        "evaluation.assessment.sample_drawn.v1",
        *["evaluation.assessment.finding_recorded.v1"] * 7,
        "evaluation.assessment.published.v1",
    ]
    assert wire[-2].household_id is None and wire[-2].people == 150
    published = wire[-1].model_dump(mode="json")
    assert published["missed_identification_rate"] == "0.0067"
    assert (published["missed_poor_people"], published["non_registered_surveyed"]) == (1, 150)

    read = [
        repo.to_domain(catalogue.read(e.TYPE, e.model_dump(mode="json"), date(2017, 10, 1)))
        for e in wire
    ]
    assert [asdict(e) for e in read] == [asdict(e) for e in assessment.pending]
    again = Assessment.replay(assessment.id, read)
    assert again.results() == assessment.results()
    assert again.sample == assessment.sample and again.strata == assessment.strata
