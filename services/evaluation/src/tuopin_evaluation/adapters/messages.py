"""The evaluation service's refusals in Chinese (the kernel's ``Catalogue``): third-party
assessments (第三方评估: 抽样, 错退, 漏评), return-to-poverty warnings (返贫预警), exit
verification, and the rule sets and poverty lines the rollups apply (贫困村退出, 贫困县摘帽).

Written in English where raised; the problems middleware puts this Chinese first for a
caller whose Accept-Language prefers Chinese, the English beside it.
"""

from typing import Final

from tuopin_contracts import vocabulary
from tuopin_eventkit.chinese import Catalogue

WORDS: Final = {
    **vocabulary.ZH,
    # InvalidTransition: aggregates, states, commands
    "published": "已发布",
    "publish": "发布",
    "record a finding": "登记核查结果",
    "record a survey": "登记漏评调查",
    "return warning": "返贫预警",
    "open": "待处理",
    "acknowledged": "已签收",
    "closed": "已关闭",
    "acknowledge": "签收",
    "close": "关闭",
    "verification": "脱贫退出核验",
    "concluded": "已作出结论",
    "conclude again": "再次作出结论",
}

REFUSALS: Final = [
    # third-party assessments (domain.assessment)
    (r"the sampling frame is empty: no households to sample", "抽样框为空：没有可抽取的贫困户"),
    (
        r"a sample of (?P<n>-?\d+) exceeds the (?P<t>-?\d+) households in the frame",
        "样本量 {n} 户超过抽样框中的 {t} 户",
    ),
    (
        r"a sample of (?P<n>-?\d+) cannot give each of the (?P<v>-?\d+) villages at least one "
        r"household",
        "样本量 {n} 户不足以使 {v} 个村每村至少抽到一户",
    ),
    (r"the sampling frame lists a household twice", "抽样框中同一户出现两次"),
    (r"an assessment names its assessor", "评估须注明评估机构"),
    (r"the sample size is at least 1", "样本量至少为 1 户"),
    (r"households outside county (?P<c>\S+): (?P<list>.+)", "以下贫困户不在县 {c} 内：{list}"),
    (r"household (?P<h>\S+) is not in the sample", "贫困户 {h} 不在样本中"),
    (r"household (?P<h>\S+) already has a finding", "贫困户 {h} 已有核查结果"),
    (r"a finding covers at least one person", "核查结果至少涵盖一人"),
    (
        r"household (?P<h>\S+) is exited: state whether it was wrongly exited",
        "贫困户 {h} 已脱贫退出：须说明是否属于错退",
    ),
    (
        r"household (?P<h>\S+) is (?P<s>\S+), not exited: it cannot be wrongly exited",
        "贫困户 {h} 为“{s}”，并未脱贫退出，不能认定为错退",
    ),
    (r"a survey covers at least one person", "漏评调查至少涵盖一人"),
    (
        r"(?P<m>-?\d+) missed poor people cannot be found among (?P<n>-?\d+) people surveyed",
        "漏评贫困人口 {m} 人，不能多于受访人数 {n} 人",
    ),
    (
        r"cannot publish: (?P<n>-?\d+) of (?P<t>-?\d+) sampled households have no finding yet",
        "不能发布：{t} 户样本户中有 {n} 户尚无核查结果",
    ),
    # return-to-poverty warnings (domain.return_watch)
    (
        r"an acknowledgement names the cadre, the unit and the measures",
        "签收预警须填写帮扶干部、所在单位和帮扶措施",
    ),
    (r"a closure says why the warning is resolved", "关闭预警须说明风险已消除的理由"),
    (
        r"cannot (?P<command>\S+) a warning on (?P<on>\S+), before it was raised on (?P<r>.*)",
        "预警于 {r} 发出，不能以更早的日期 {on} {command}",
    ),
    (r"no return warning (?P<w>.*)", "未找到返贫预警 {w}"),
    # verdicts, rollups, delisting, reference tables
    (r"evaluation has no facts of household (?P<h>.*)", "评估系统中没有贫困户 {h} 的数据"),
    (r"evaluation knows no village (?P<v>\S+)(?P<rest>.*)", "评估系统中没有村 {v}{rest}"),
    (r"no registered household (?P<h>.*)", "未找到建档立卡贫困户 {h}"),
    (r"no income recorded for households in (?P<r>.*)", "{r} 没有贫困户收入记录"),
    (r"no poverty line for (?P<y>\S+) in the reference table", "参考表中没有 {y} 年的贫困线"),
    (r"rule set (?P<r>\S+) has no county delisting rules", "规则集 {r} 没有贫困县摘帽规则"),
    (r"rule set (?P<r>\S+) has no village exit rules", "规则集 {r} 没有贫困村退出规则"),
    (r"no exit rule set in force on (?P<d>.*)", "{d} 没有生效的脱贫退出规则集"),
    (
        r"no rule set named (?P<n>\S+) \(known: (?P<known>.*)\)",
        "没有名为 {n} 的规则集（已有：{known}）",
    ),
    # the dashboard and sign-in
    (r"no dashboard file (?P<f>.*)", "未找到看板文件 {f}"),
    (
        r"development sign-in is off in a deployment: sign in at the provider",
        "正式部署中已关闭开发用登录，请通过统一身份认证登录",
    ),
]

MESSAGES: Final = Catalogue(REFUSALS, WORDS)
