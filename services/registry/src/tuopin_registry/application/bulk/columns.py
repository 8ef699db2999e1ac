"""What an export may say, as data: each field with the Chinese headers it may carry, and
each code with its Chinese labels. English names and codes are accepted as well."""

import re
from enum import StrEnum
from typing import Any, Final

from tuopin_contracts.vocabulary import (
    ZH,
    Education,
    Health,
    LabourAbility,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)

# Each field, with the Chinese headers it may carry (the usual one first; space-separated).
# Its English name is a header as well.
COLUMNS: Final[dict[str, str]] = {
    "file_number": "户编号 户码 档案编号",
    "county_code": "县代码 县编码 县级行政区划代码",
    "village_code": "村代码 村编码 行政村代码",
    "poverty_attribute": "贫困户属性",
    "primary_cause": "主要致贫原因",
    "secondary_causes": "其他致贫原因 次要致贫原因",
    "identified_year": "识别年度 识别年份",
    "effective_date": "建档日期 识别日期",
    # A back-filled household's history, when the export carries it (each optional).
    "assisted_on": "帮扶日期 开始帮扶日期",
    "exited_on": "脱贫日期 脱贫时间",
    "returned_on": "返贫日期 返贫时间",
    "return_cause": "返贫原因",
    "name": "姓名",
    "id_number": "证件号码 身份证号码 身份证号",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "education": "文化程度",
    "schooling": "在校生状况 在校生情况",
    "health": "健康状况",
    "disabled": "是否残疾",
    "labour_ability": "劳动技能 劳动能力",
    "medical_insurance": "是否参加新农合/医保 是否参加新农合 是否参加城乡居民基本医疗保险",
    "pension_insurance": "是否参加养老保险 是否参加城乡居民基本养老保险",
}
# What happened to a household after it was filed, in the order it happens.
HISTORY_FIELDS: Final = ("assisted_on", "exited_on", "returned_on", "return_cause")
OPTIONAL: Final = frozenset(
    "county_code secondary_causes sex birth_date education schooling health disabled "
    "labour_ability medical_insurance pension_insurance".split()
) | set(HISTORY_FIELDS)  # the county is then taken from the village's code, which begins with it
REQUIRED: Final = frozenset(COLUMNS) - OPTIONAL
HOUSEHOLD_FIELDS: Final = (
    *"county_code village_code poverty_attribute primary_cause secondary_causes "
    "identified_year effective_date".split(),
    *HISTORY_FIELDS,
)
MEMBER_FIELDS: Final = tuple(f for f in COLUMNS if f not in HOUSEHOLD_FIELDS and f != "file_number")

# Each code's Chinese labels, the usual one first (error messages name it); the code's own
# English value is accepted as well.
LABELS: Final[dict[type[StrEnum], dict[Any, str]]] = {
    PovertyAttribute: {
        PovertyAttribute.GENERAL: "一般贫困户 一般户",
        PovertyAttribute.SUBSISTENCE_ALLOWANCE: "低保贫困户 低保户",
        PovertyAttribute.FIVE_GUARANTEES: "五保贫困户 五保户 特困供养户",
    },
    # The causes as the services' messages say them (vocabulary.ZH), with the variants
    # exports write as well.
    PovertyCause: {cause: ZH[cause] for cause in PovertyCause}
    | {
        PovertyCause.LACK_OF_LABOUR: "缺劳力 缺劳动力",
        PovertyCause.LACK_OF_TRANSPORT: "交通条件落后 交通落后",
        PovertyCause.OWN_EFFORT: "自身发展动力不足 自身发展力不足",
    },
    Relation: {
        Relation.HEAD: "户主 本人",
        Relation.SPOUSE: "配偶 之妻 之夫 妻子 丈夫",
        Relation.CHILD: "之子 之女 子 女 儿子 女儿 之养子 之养女 之继子 之继女",
        Relation.CHILD_IN_LAW: "之儿媳 之女婿 儿媳 女婿",
        Relation.GRANDCHILD: "之孙子 之孙女 之外孙子 之外孙女 孙子 孙女 之曾孙子 之曾孙女",
        Relation.PARENT: "之父母 之父 之母 之父亲 之母亲 父亲 母亲 之公公 之婆婆 之岳父 之岳母",
        Relation.GRANDPARENT: "之祖父母 之祖父 之祖母 之外祖父 之外祖母",
        Relation.SIBLING: "之兄弟姐妹 之兄 之弟 之姐 之妹 兄弟姐妹",
        Relation.OTHER: "其他 其它",
    },
    Sex: {Sex.MALE: "男", Sex.FEMALE: "女"},
    Education: {
        Education.NONE: "文盲或半文盲 文盲 半文盲",
        Education.PRIMARY: "小学",
        Education.JUNIOR_SECONDARY: "初中",
        Education.SENIOR_SECONDARY: "高中 中专 中职 高中（中专） 高中(中专)",
        Education.TERTIARY: "大专及以上 大专 本科 研究生",
        Education.PRESCHOOL: "学龄前儿童 学龄前",
    },
    Schooling: {
        Schooling.NOT_IN_SCHOOL: "非在校生 不在校",
        Schooling.PRESCHOOL: "学前教育 学前班 幼儿园",
        Schooling.PRIMARY: "小学 一年级 二年级 三年级 四年级 五年级 六年级",
        Schooling.JUNIOR_SECONDARY: "初中 七年级 八年级 九年级",
        Schooling.SENIOR_SECONDARY: "高中",
        Schooling.VOCATIONAL: "中职 中专 技校",
        Schooling.TERTIARY: "高职 大专 本科",
        Schooling.POSTGRADUATE: "研究生 硕士 博士",
        Schooling.DROPPED_OUT: "辍学",
    },
    Health: {
        Health.HEALTHY: "健康",
        Health.CHRONIC_ILLNESS: "长期慢性病 慢性病",
        Health.SERIOUS_ILLNESS: "患有大病 大病",
        Health.DISABLED: "残疾",
    },
    LabourAbility: {
        LabourAbility.FULL: "普通劳动力",
        LabourAbility.SKILLED: "技能劳动力",
        LabourAbility.PARTIAL: "弱劳动力或半劳动力 弱劳动力 半劳动力",
        LabourAbility.NONE: "丧失劳动力",
        LabourAbility.NOT_WORKING_AGE: "无劳动力",
    },
}
# 在校生状况 often names the grade (小学三年级, 高中一年级, 中职二年级 …): the label it
# begins with decides.
PREFIXED: Final[frozenset[type[StrEnum]]] = frozenset({Schooling})
YES: Final = frozenset({"是", "有", "参加", "已参加", "y", "yes", "true", "1"})
NO: Final = frozenset({"否", "无", "未参加", "不参加", "n", "no", "false", "0"})
CAUSE_SEPARATORS: Final = re.compile(r"[、;,|；，｜]")
MAX_MEMBERS: Final = 30
MAX_SECONDARY_CAUSES: Final = 5
YEARS: Final = range(2013, 2101)
HEADER_SEARCH_ROWS: Final = 20  # title rows above the header are common in exports
