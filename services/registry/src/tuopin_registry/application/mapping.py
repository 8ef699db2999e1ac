"""Domain events ↔ contract events: the same facts, one in plain dataclasses, one on the wire."""

from tuopin_contracts import EventData
from tuopin_contracts.events import registry as contract
from tuopin_eventkit.repository import EventMap, Repository
from tuopin_eventkit.store import EventStore
from tuopin_registry.domain import events as domain
from tuopin_registry.domain import village
from tuopin_registry.domain.household import Household
from tuopin_registry.domain.village import Village

PAIRS: list[tuple[type, type[EventData]]] = [
    (domain.HouseholdRegistered, contract.HouseholdRegisteredV3),
    (domain.MemberAdded, contract.MemberAddedV2),
    (domain.MemberRemoved, contract.MemberRemovedV1),
    (domain.MemberUpdated, contract.MemberUpdatedV2),
    (domain.IdentityCorrected, contract.IdentityCorrectedV1),
    (domain.CausesRecorded, contract.CausesRecordedV1),
    (domain.IncomeRecorded, contract.IncomeRecordedV1),
    (domain.IncomeCorrected, contract.IncomeCorrectedV1),
    (domain.ConditionsAssessed, contract.ConditionsAssessedV1),
    (domain.NeedListed, contract.NeedListedV1),
    (domain.MeasurePlanned, contract.MeasurePlannedV1),
    (domain.MeasureProgressed, contract.MeasureProgressedV1),
    (domain.ResponsibilityAssigned, contract.ResponsibilityAssignedV1),
    (domain.RelocationRecorded, contract.RelocationRecordedV1),
    (domain.CooperativeJoined, contract.CooperativeJoinedV1),
    (domain.AssistanceStarted, contract.AssistanceStartedV1),
    (domain.ExitProposed, contract.ExitProposedV1),
    (domain.ExitPublicised, contract.ExitPublicisedV1),
    (domain.HouseholdExited, contract.HouseholdExitedV1),
    (domain.ExitRejected, contract.ExitRejectedV1),
    (domain.ExitAnnulled, contract.ExitAnnulledV1),
    (domain.ReturnedToPoverty, contract.ReturnedToPovertyV1),
    (domain.HouseholdRemoved, contract.HouseholdRemovedV1),
    (domain.PersonErased, contract.PersonErasedV1),
    (village.VillageRegistered, contract.VillageRegisteredV1),
    (village.VillageResponsibilityAssigned, contract.VillageResponsibilityAssignedV1),
    (village.VillageProfileRecorded, contract.VillageProfileRecordedV1),
    (village.VillageConditionsRecorded, contract.VillageConditionsRecordedV1),
    (village.VillageNeedListed, contract.VillageNeedListedV1),
    (village.VillageMeasurePlanned, contract.VillageMeasurePlannedV1),
    (village.VillageMeasureProgressed, contract.VillageMeasureProgressedV1),
]
EVENTS = EventMap(PAIRS)
to_contract, to_domain = EVENTS.to_contract, EVENTS.to_domain


def households(store: EventStore) -> Repository[Household]:
    return EVENTS.repository(store, "household", Household)


def villages(store: EventStore) -> Repository[Village]:
    """Villages' streams are named by their 12-digit code, unique in the province."""
    return EVENTS.repository(store, "village", Village)
