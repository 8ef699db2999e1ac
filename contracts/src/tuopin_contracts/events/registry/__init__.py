"""Events the registry (建档立卡) publishes on ``tuopin.registry.events``.

Every household fact names the household, the date it takes effect (business date,
Asia/Shanghai) and, where a person decided it, the reason. The clear resident ID number
never leaves the registry. Since v3 of the filing (v2 of a member added or changed) a
member travels as facts other services need — the keyed hash of the ID number to join on,
birth year and month for age rules, schooling, disability yes/no, insurance — and nothing
that names them: name, sex, birth date, health and the masked number are ``sealed`` under
the person's own data key in the registry's vault, so erasing that key blinds every copy
(the event store, the topic, the read models). Older versions are upcast on read, their
personal fields dropped. See SECURITY.md for where each personal field may appear.

One module per concern — the filing, members, a household's facts, villages, erasure;
every service imports the events from here (``events.registry``), as one namespace.
"""

# isort: off
# In the order the modules register their event types: the AsyncAPI document lists a
# topic's types in that order.
from tuopin_contracts.events.registry.filing import (
    HouseholdFact,
    HouseholdRegisteredV1,
    HouseholdRegisteredV2,
    HouseholdRegisteredV3,
    Member,
    Reason,
    SealedMember,
)
from tuopin_contracts.events.registry.members import (
    IdentityCorrectedV1,
    MemberAddedV1,
    MemberAddedV2,
    MemberCircumstances,
    MemberRemovedV1,
    MemberUpdatedV1,
    MemberUpdatedV2,
)
from tuopin_contracts.events.registry.households import (
    INCOMES,
    STATUS_CHANGES,
    AssistanceStartedV1,
    CausesRecordedV1,
    ConditionsAssessedV1,
    CooperativeJoinedV1,
    ExitAnnulledV1,
    ExitProposedV1,
    ExitPublicisedV1,
    ExitRejectedV1,
    HouseholdExitedV1,
    HouseholdRemovedV1,
    IncomeCorrectedV1,
    IncomeRecordedV1,
    MeasureItem,
    MeasurePlannedV1,
    MeasureProgressedV1,
    NeedItem,
    NeedListedV1,
    ProgressItem,
    RelocationRecordedV1,
    ResponsibilityAssignedV1,
    ReturnedToPovertyV1,
    StatusChanged,
)
from tuopin_contracts.events.registry.villages import (
    VILLAGE_CONDITIONS,
    VILLAGE_FLAGS,
    VillageConditionsRecordedV1,
    VillageFact,
    VillageMeasurePlannedV1,
    VillageMeasureProgressedV1,
    VillageNeedListedV1,
    VillageProfileRecordedV1,
    VillageRegisteredV1,
    VillageResponsibilityAssignedV1,
)
from tuopin_contracts.events.registry.erasure import (
    PersonErasedV1,
)
# isort: on

__all__ = [
    "INCOMES",
    "STATUS_CHANGES",
    "VILLAGE_CONDITIONS",
    "VILLAGE_FLAGS",
    "AssistanceStartedV1",
    "CausesRecordedV1",
    "ConditionsAssessedV1",
    "CooperativeJoinedV1",
    "ExitAnnulledV1",
    "ExitProposedV1",
    "ExitPublicisedV1",
    "ExitRejectedV1",
    "HouseholdExitedV1",
    "HouseholdFact",
    "HouseholdRegisteredV1",
    "HouseholdRegisteredV2",
    "HouseholdRegisteredV3",
    "HouseholdRemovedV1",
    "IdentityCorrectedV1",
    "IncomeCorrectedV1",
    "IncomeRecordedV1",
    "MeasureItem",
    "MeasurePlannedV1",
    "MeasureProgressedV1",
    "Member",
    "MemberAddedV1",
    "MemberAddedV2",
    "MemberCircumstances",
    "MemberRemovedV1",
    "MemberUpdatedV1",
    "MemberUpdatedV2",
    "NeedItem",
    "NeedListedV1",
    "PersonErasedV1",
    "ProgressItem",
    "Reason",
    "RelocationRecordedV1",
    "ResponsibilityAssignedV1",
    "ReturnedToPovertyV1",
    "SealedMember",
    "StatusChanged",
    "VillageConditionsRecordedV1",
    "VillageFact",
    "VillageMeasurePlannedV1",
    "VillageMeasureProgressedV1",
    "VillageNeedListedV1",
    "VillageProfileRecordedV1",
    "VillageRegisteredV1",
    "VillageResponsibilityAssignedV1",
]
