"""The shared words of poverty alleviation, as code lists (standard library only).

Every service and every domain may use these: they are the vocabulary the events speak.
"""

from enum import StrEnum


class PovertyAttribute(StrEnum):
    """贫困户属性."""

    GENERAL = "general"  # 一般贫困户
    SUBSISTENCE_ALLOWANCE = "subsistence_allowance"  # 低保贫困户
    FIVE_GUARANTEES = "five_guarantees"  # 五保贫困户


class PovertyCause(StrEnum):
    """致贫原因, the national code list used in 建档立卡."""

    ILLNESS = "illness"  # 因病
    DISABILITY = "disability"  # 因残
    SCHOOLING = "schooling"  # 因学
    DISASTER = "disaster"  # 因灾
    LACK_OF_LAND = "lack_of_land"  # 缺土地
    LACK_OF_WATER = "lack_of_water"  # 缺水
    LACK_OF_TECHNOLOGY = "lack_of_technology"  # 缺技术
    LACK_OF_LABOUR = "lack_of_labour"  # 缺劳力
    LACK_OF_FUNDS = "lack_of_funds"  # 缺资金
    LACK_OF_TRANSPORT = "lack_of_transport"  # 交通条件落后
    OWN_EFFORT = "own_effort"  # 自身发展动力不足


class HouseholdStatus(StrEnum):
    """Where a household stands in dynamic management (有进有出)."""

    IDENTIFIED = "identified"  # 识别
    ASSISTING = "assisting"  # 帮扶中
    EXIT_PROPOSED = "exit_proposed"  # 拟退出 (after the village's democratic appraisal)
    EXIT_PUBLICISED = "exit_publicised"  # 公示中
    EXITED = "exited"  # 脱贫销号
    RETURNED = "returned"  # 返贫
    REMOVED = "removed"  # 识别不准清退


class Relation(StrEnum):
    """与户主关系."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_IN_LAW = "child_in_law"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Education(StrEnum):
    """文化程度."""

    NONE = "none"  # 文盲或半文盲
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"  # incl. vocational secondary
    TERTIARY = "tertiary"
    PRESCHOOL = "preschool"


class Schooling(StrEnum):
    """在校生状况."""

    NOT_IN_SCHOOL = "not_in_school"
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    VOCATIONAL = "vocational"  # 中职
    TERTIARY = "tertiary"  # 本科, 高职(专科)
    POSTGRADUATE = "postgraduate"  # 研究生
    DROPPED_OUT = "dropped_out"  # 辍学


class Health(StrEnum):
    """健康状况."""

    HEALTHY = "healthy"
    CHRONIC_ILLNESS = "chronic_illness"  # 长期慢性病
    SERIOUS_ILLNESS = "serious_illness"  # 患有大病
    DISABLED = "disabled"  # 残疾


class LabourAbility(StrEnum):
    """劳动能力."""

    FULL = "full"  # 普通劳动力
    SKILLED = "skilled"  # 技能劳动力
    PARTIAL = "partial"  # 弱劳动力或半劳动力
    NONE = "none"  # 丧失劳动力
    NOT_WORKING_AGE = "not_working_age"  # 无劳动力 (children, elderly)


class MeasureKind(StrEnum):
    """帮扶措施 kinds, after the seed's 内容精准 and 方式精准."""

    INDUSTRY = "industry"  # 产业扶持
    EMPLOYMENT = "employment"  # 就业、劳务输转
    TRAINING = "training"  # 技能培训
    MICROCREDIT = "microcredit"  # 精准扶贫专项贷款
    HOUSING = "housing"  # 危房改造
    RELOCATION = "relocation"  # 易地搬迁
    EDUCATION = "education"  # 教育资助
    HEALTH = "health"  # 医疗救助
    SOCIAL_SECURITY = "social_security"  # 低保、养老兜底
    INFRASTRUCTURE = "infrastructure"  # 水、电、路
    OTHER = "other"


class LoanProduct(StrEnum):
    """The loan kinds the province subsidises."""

    MICROCREDIT = "microcredit"  # 精准扶贫专项贷款 (扶贫小额信贷)
    HOUSING = "housing"  # 危房改造贷款
    RELOCATION = "relocation"  # 易地扶贫搬迁贷款
    STUDENT = "student"  # 生源地信用助学贷款


# The codes said in Chinese, for the services' messages (their catalogues share these): a
# household's standing, the loan kinds, the causes of poverty, a member's schooling.
ZH: dict[str, str] = {
    HouseholdStatus.IDENTIFIED: "已识别（建档立卡）",
    HouseholdStatus.ASSISTING: "帮扶中",
    HouseholdStatus.EXIT_PROPOSED: "拟退出",
    HouseholdStatus.EXIT_PUBLICISED: "退出公示中",
    HouseholdStatus.EXITED: "已脱贫（销号）",
    HouseholdStatus.RETURNED: "返贫",
    HouseholdStatus.REMOVED: "识别不准已清退",
    LoanProduct.MICROCREDIT: "扶贫小额信贷",
    LoanProduct.HOUSING: "危房改造贷款",
    LoanProduct.RELOCATION: "易地扶贫搬迁贷款",
    LoanProduct.STUDENT: "生源地信用助学贷款",
    PovertyCause.ILLNESS: "因病",
    PovertyCause.DISABILITY: "因残",
    PovertyCause.SCHOOLING: "因学",
    PovertyCause.DISASTER: "因灾",
    PovertyCause.LACK_OF_LAND: "缺土地",
    PovertyCause.LACK_OF_WATER: "缺水",
    PovertyCause.LACK_OF_TECHNOLOGY: "缺技术",
    PovertyCause.LACK_OF_LABOUR: "缺劳力",
    PovertyCause.LACK_OF_FUNDS: "缺资金",
    PovertyCause.LACK_OF_TRANSPORT: "交通条件落后",
    PovertyCause.OWN_EFFORT: "自身发展动力不足",
    Schooling.NOT_IN_SCHOOL: "非在校生",
    Schooling.PRESCHOOL: "学前教育",
    Schooling.PRIMARY: "小学",
    Schooling.JUNIOR_SECONDARY: "初中",
    Schooling.SENIOR_SECONDARY: "高中",
    Schooling.VOCATIONAL: "中职",
    Schooling.TERTIARY: "高职或本科",
}
