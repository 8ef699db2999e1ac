"""The words of vocational training the rules depend on."""

from datetime import date

from tuopin_contracts.dates import age_on
from tuopin_contracts.events.training import AssistanceKind, SchoolingLevel

# 劳动年龄: who may enrol in training for labour (inclusive, age on the day of enrolment).
WORKING_AGE = (16, 59)
# 两后生 are young people who finished junior or senior secondary school without going on;
# their vocational education may start before working age.
TWO_AFTER_SCHOOL_AGE = (14, 22)
# The seed's "2–3 年职业技能教育培训", in months of programme length.
TWO_AFTER_SCHOOL_MONTHS = (24, 36)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def level_name(level: int) -> str:
    return {
        1: "一级/高级技师",
        2: "二级/技师",
        3: "三级/高级工",
        4: "四级/中级工",
        5: "五级/初级工",
    }[level]


# Seed item 8(3): "每年培训新型职业农民15000人".
NEW_PROFESSIONAL_FARMERS_PER_YEAR = 15_000


def working_age(birth: date | None, day: date) -> bool:
    return birth is not None and WORKING_AGE[0] <= age_on(birth, day) <= WORKING_AGE[1]


# Seed 四.9(1): "对贫困家庭学生就读中等职业学校、高职(专科)院校免除学费和书本费，并给中职学生
# 每生每学年发放2000元助学金" and "对贫困家庭子女免收保教费": the schooling each kind is for.
ASSISTANCE_LEVELS = {
    AssistanceKind.GRANT: frozenset({SchoolingLevel.SECONDARY_VOCATIONAL}),
    AssistanceKind.TUITION_WAIVER: frozenset(
        {SchoolingLevel.SECONDARY_VOCATIONAL, SchoolingLevel.HIGHER_VOCATIONAL}
    ),
    AssistanceKind.BOOK_FEE_WAIVER: frozenset(
        {SchoolingLevel.SECONDARY_VOCATIONAL, SchoolingLevel.HIGHER_VOCATIONAL}
    ),
    AssistanceKind.CARE_FEE_WAIVER: frozenset({SchoolingLevel.PRESCHOOL}),
}
# 中职助学金: 2,000 yuan per student per academic year, in fen.
SECONDARY_VOCATIONAL_GRANT_FEN = 200_000
