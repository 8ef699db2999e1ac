"""The training service's refusals in Chinese (the kernel's ``Catalogue``): the rules a
centre's posting breaks ("[rule] why": the rule's name kept, its reason said), the
enrolment's stages, accreditation (培训机构资质), certificates, 两后生 programmes and the
education assistance (教育资助: 中职助学金, 免学费, 免书本费, 免保教费).

Written in English where raised; the problems middleware puts this Chinese first for a
caller whose Accept-Language prefers Chinese, the English beside it.
"""

from typing import Final

from tuopin_eventkit.chinese import Catalogue

WORDS: Final = {
    # an enrolment's stages and the commands refused (InvalidTransition)
    "enrolment": "报名",
    "enrolled": "已报名在训",
    "completed": "已结业",
    "dropped_out": "已退学",
    "record attendance": "登记考勤",
    "complete": "结业",
    "drop out": "退学",
    "revoked": "已撤销",
    "revoke": "撤销",
    "centre": "培训机构",
    "withdraw": "撤销资质",
    "not accredited after that day": "该日之后无资质",
    # what a certificate is based on, and what it has to be
    "completion": "结业记录",
    "appraisal": "职业技能鉴定",
    # what a centre records once ("… is already recorded for centre …")
    "academic": "学历证书",
    "certificate": "证书",
    "placement": "就业安置",
    # education assistance: its kinds and schooling levels
    "grant": "中职助学金",
    "tuition_waiver": "免除学费",
    "book_fee_waiver": "免除书本费",
    "care_fee_waiver": "免收保教费",
    "preschool": "学前教育",
    "secondary_vocational": "中职",
    "higher_vocational": "高职（专科）",
    "programme": "培训项目",
    "training centre": "培训机构",
}

# Each rule's reason, after its name in brackets (domain.rules.Refused).
REASONS: Final = [
    (
        r"the household was removed from the register \(识别不准清退\)",
        "该户已因识别不准被清退出建档立卡",
    ),
    (r"the programme ended on (?P<d>.*)", "培训项目已于 {d} 结束"),
    (r"the registry holds no birth date for this person", "建档立卡系统中没有此人的出生日期"),
    (
        r"aged (?P<age>-?\d+) on (?P<on>\S+); this programme takes (?P<low>-?\d+)–(?P<high>-?\d+)",
        "{on} 时年龄为 {age} 岁；本项目招收 {low}–{high} 岁",
    ),
    (
        r"already enrolled in an overlapping programme \(enrolment (?P<e>.+)\)",
        "已报名时间重叠的培训项目（报名 {e}）",
    ),
    (r"all (?P<n>-?\d+) seats are taken", "{n} 个名额已满"),
    (r"a centre enrols only in its own programmes", "培训机构只能为本机构的培训项目报名"),
    (r"period_to precedes period_from", "period_to（考勤截止日）早于 period_from（考勤起始日）"),
    (r"attendance before the enrolment date", "考勤日期早于报名日期"),
    (r"more sessions attended than held", "出勤课时多于实际开课课时"),
    (r"completion before enrolment", "结业日期早于报名日期"),
    (r"leaving before enrolment", "退学日期早于报名日期"),
    (r"valid_until precedes valid_from", "valid_until（有效期止）早于 valid_from（有效期起）"),
    (r"an occupation is listed twice", "同一职业（工种）重复列出"),
    (
        r"accreditation was withdrawn on (?P<d>\S+); a new term starts later",
        "资质已于 {d} 撤销；新的资质期须从此日之后开始",
    ),
    (r"centre (?P<c>.+) is not accredited on (?P<d>.*)", "培训机构 {c} 在 {d} 没有培训资质"),
    (
        r"centre (?P<c>.+) is not accredited for occupation (?P<o>\S+) on (?P<d>.*)",
        "培训机构 {c} 在 {d} 没有职业（工种）{o} 的培训资质",
    ),
    (
        r"centre (?P<c>.+) may certify (?P<o>\S+) up to level (?P<best>-?\d+) \((?P<bn>[^)]*)\), "
        r"not level (?P<l>-?\d+) \((?P<ln>[^)]*)\)",
        "培训机构 {c} 对 {o} 最高只能认定到 {best} 级（{bn}），不能认定 {l} 级（{ln}）",
    ),
    (r"ends_on precedes starts_on", "ends_on（结束日期）早于 starts_on（开始日期）"),
    (
        r"两后生 vocational education lasts (?P<low>-?\d+)–(?P<high>-?\d+) months, "
        r"not (?P<m>-?\d+)",
        "两后生职业教育学制为 {low}–{high} 个月，而不是 {m} 个月",
    ),
    (
        r"a labour-brand programme, and only one, names its brand",
        "劳务品牌培训须注明品牌，其他培训不得注明",
    ),
    (r"the enrolment named is another person's", "所填报名记录属于他人"),
    (r"the placement starts before the training", "就业安置开始日期早于培训报名日期"),
    (
        r"(?P<p>\S+) is not a member of a household registered \(建档立卡\)",
        "{p} 不是建档立卡贫困户成员",
    ),
    (r"a waiver states the fees waived \(amount_fen\)", "减免须填写减免金额（amount_fen）"),
    (
        r"centre (?P<c>\S+) has no (?P<what>enrolment|appraisal) (?P<ref>.*)",
        "培训机构 {c} 没有{what}记录 {ref}",
    ),
    (r"the (?P<basis>\S+) is another person's", "该{basis}属于他人"),
    (r"the completion was not completed", "该报名尚未结业"),
    (r"the appraisal was not passed", "该职业技能鉴定未通过"),
    (r"the (?P<basis>\S+) was not (?P<what>.*)", "该{basis}未达到要求（{what}）"),
    (
        r"the (?P<basis>\S+) is for occupation (?P<o>\S+), not (?P<e>.*)",
        "该{basis}的职业（工种）为 {o}，不是 {e}",
    ),
    (
        r"the (?P<basis>\S+) reached level (?P<b>-?\d+); level (?P<e>-?\d+) is higher",
        "该{basis}只达到 {b} 级；{e} 级更高",
    ),
    (r"issued before the (?P<basis>\S+) \((?P<d>[^)]*)\)", "发证日期早于{basis}（{d}）"),
    (r"valid_until must follow the issue date", "valid_until（有效期止）须晚于发证日期"),
    (r"only the issuer revokes its certificates", "只有发证机构才能撤销其证书"),
    (r"revoked before it was issued", "撤销日期早于发证日期"),
    (
        r"(?P<kind>\S+) is for (?P<levels>.+) students, not (?P<level>.*)",
        "{kind}只适用于{levels}学生，不适用于{level}",
    ),
    (
        r"the student's household is in county (?P<c>\S+), not (?P<e>.*)",
        "该生家庭所在县为 {c}，不是 {e}",
    ),
    (
        r"the student's household is not a registered poor household \(建档立卡\) on (?P<d>.*)",
        "{d} 时该生家庭不是建档立卡贫困户",
    ),
    (
        r"a decision of (?P<d>\S+) is not within academic year (?P<y>.*)",
        "决定日期 {d} 不在 {y} 学年内",
    ),
    (r"the 中职 grant is (?P<a>-?\d+) yuan per student-year", "中职助学金为每生每学年 {a} 元"),
    (
        r"the student is recorded at (?P<levels>.+) in academic year (?P<y>.*)",
        "该生在 {y} 学年登记的学段为{levels}",
    ),
]

REFUSALS: Final = [
    (r"\[(?P<rule>[^\]]+)\] (?P<why>.+)", "[{rule}] {why}"),
    (
        r"(?P<what>\S+) (?P<ref>\S+) is already recorded for centre (?P<c>.*)",
        "培训机构 {c} 已登记{what} {ref}",
    ),
    (
        r"centre (?P<c>\S+) issued no certificate (?:numbered )?(?P<n>.*)",
        "培训机构 {c} 未颁发编号为 {n} 的证书",
    ),
    (r"household (?P<h>\S+) is not registered \(未建档立卡\)", "贫困户 {h} 未建档立卡"),
    (r"no training centre (?P<c>.*)", "未找到培训机构 {c}"),
    (
        r"(?P<kind>\S+) for academic year (?P<y>\S+) is already recorded for this student "
        r"\(decided (?P<d>[^)]*)\)",
        "该生 {y} 学年的{kind}已登记（{d} 决定）",
    ),
]

MESSAGES: Final = Catalogue([*REFUSALS, *REASONS], WORDS, verbatim={"rule"})  # a code
