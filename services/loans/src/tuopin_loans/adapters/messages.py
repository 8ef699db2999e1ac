"""The loans service's refusals in Chinese (the kernel's ``Catalogue``): the eligibility
rules an application or a mutual-aid loan fails (each "rule: why", in the detail and in
``failures``), the loan book's states and commands, the risk fund (风险补偿金), the
interest-subsidy statements (贴息) and the mutual-aid funds (互助资金).

Written in English where raised; the problems middleware puts this Chinese first for a
caller whose Accept-Language prefers Chinese, the English beside it.
"""

from typing import Final

from tuopin_contracts import vocabulary
from tuopin_eventkit.chinese import Catalogue

WORDS: Final = {
    **vocabulary.ZH,
    "unknown": "未知",
    "fund": "风险补偿金",
    "mutual-aid": "互助资金",
    # a loan's states, and the commands an InvalidTransition refuses
    "approved": "已审批",
    "rejected": "已拒绝",
    "signed": "已签约",
    "active": "已放款（还款中）",
    "repaid": "已结清",
    "defaulted": "已违约",
    "written_off": "已核销",
    "sign the contract": "签订合同",
    "disburse": "放款",
    "receive a repayment": "收取还款",
    "receive a repayment before disbursement": "在放款前收取还款",
    "report it overdue": "报告逾期",
    "declare a default": "认定违约",
    "write it off": "核销",
    "subsidise a premium": "补贴保费",
    # what a posting dated out of order is
    "a contribution": "缴款",
    "a default": "违约",
    "a disbursement": "放款",
    "a loan": "借款",
    "a repayment": "还款",
    "a write-off": "核销",
    "an overdue report": "逾期报告",
    "the contract": "合同",
}

RULES: Final = [  # each failed eligibility rule, "rule: why" (domain.rules, domain.mutual_aid)
    (
        r"registered_household: not a registered poor household \(未建档立卡\)",
        "registered_household：不是建档立卡贫困户",
    ),
    (
        r"registered_household: on (?P<on>\S+) the household was not yet identified "
        r"\(identified from (?P<since>[^)]*)\)",
        "registered_household：{on} 时该户尚未识别为建档立卡贫困户（{since} 起识别）",
    ),
    (
        r"poor_on_application_date: on (?P<on>\S+) the household is (?P<status>\S+) "
        r"\(since (?P<since>[^)]*)\)",
        "poor_on_application_date：{on} 时该户为“{status}”（自 {since} 起），不再享受扶贫贷款",
    ),
    (
        r"relocating_household: on (?P<on>\S+) the registry does not mark it as relocating "
        r"\(易地搬迁\)",
        "relocating_household：{on} 时建档立卡系统未登记该户为易地扶贫搬迁户",
    ),
    (
        r"borrower_member: on (?P<on>\S+) the borrower is not a member of the household",
        "borrower_member：{on} 时借款人不是该户成员",
    ),
    (
        r"student_level: the borrower's schooling is (?P<s>\S+), not undergraduate or "
        r"higher-vocational \(本科, 高职专科\)",
        "student_level：借款人在校情况为“{s}”，不是本科或高职专科学生",
    ),
    (
        r"borrower_age: (?P<age>-?\d+) is outside (?P<low>-?\d+)–(?P<high>\d*)",
        "borrower_age：年龄 {age} 岁，不在 {low}–{high} 岁之间",
    ),
    (
        r"term_limit: (?P<t>-?\d+) months exceeds (?P<max>-?\d+)",
        "term_limit：期限 {t} 个月，超过上限 {max} 个月",
    ),
    (
        r"student_year_limit: (?P<a>\S+) yuan exceeds the (?P<left>\S+) yuan left of (?P<max>\S+)"
        r" for this student in the academic year (?P<first>\S+) – (?P<last>.*)",
        "student_year_limit：{a} 元超过该生 {first} – {last} 学年剩余额度 {left} 元"
        "（每生每学年上限 {max} 元）",
    ),
    (
        r"academic_year: a student loan names the school year it pays for \(学年\), by the year "
        r"it starts \(2016 = 2016–17\)",
        "academic_year：助学贷款须写明所贷学年（按学年起始年份，如 2016 即 2016–17 学年）",
    ),
    (
        r"academic_year: only a student loan pays for a school year \(学年\)",
        "academic_year：只有助学贷款按学年发放",
    ),
    (
        r"academic_year: a decision of (?P<on>\S+) is not for the school year (?P<first>\S+) – "
        r"(?P<last>\S+)",
        "academic_year：{on} 的审批不能用于 {first} – {last} 学年"
        "（须在该学年的头一或第二个日历年内审批）",
    ),
    (
        r"amount_limit: (?P<a>\S+) yuan exceeds the (?P<left>\S+) yuan left of (?P<max>\S+) per "
        r"household",
        "amount_limit：{a} 元超过剩余额度 {left} 元（每户上限 {max} 元）",
    ),
    (
        r"amount_limit: (?P<a>\S+) yuan exceeds the (?P<left>\S+) yuan left of (?P<max>.*)",
        "amount_limit：{a} 元超过剩余额度 {left} 元（上限 {max} 元）",
    ),
    (
        r"county_quota: (?P<a>\S+) yuan would exceed county (?P<c>\S+)'s quota of (?P<q>.*)",
        "county_quota：{a} 元将超过县 {c} 的扶贫小额信贷额度 {q} 元",
    ),
    (
        r"county_quota: no microcredit quota is allocated to county (?P<c>.*)",
        "county_quota：县 {c} 未分配扶贫小额信贷额度",
    ),
    (
        r"programme_ceiling: the province's (?P<a>\S+) yuan is committed",
        "programme_ceiling：全省 {a} 元扶贫小额信贷总额度已全部占用",
    ),
    (
        r"member_household: household (?P<h>\S+) is not a registered household of village "
        r"(?P<v>.*)",
        "member_household：{h} 不是村 {v} 的建档立卡户",
    ),
    (
        r"fund_balance: (?P<a>\S+) yuan exceeds the fund's balance of (?P<b>.*)",
        "fund_balance：{a} 元超过互助资金余额 {b} 元",
    ),
]

REFUSALS: Final = [
    (
        r"the application fails (?P<n>-?\d+) rule\(s\): (?P<rules>.+)",
        "贷款申请不符合 {n} 项条件：{rules}",
    ),
    (r"the loan fails (?P<n>-?\d+) rule\(s\): (?P<rules>.+)", "借款不符合 {n} 项条件：{rules}"),
    # lending (application.lending, the bank's postings)
    (r"household (?P<h>\S+) is not in the register", "贫困户 {h} 不在建档立卡名册中"),
    (r"bank (?P<b>\S+) already decided on loan (?P<r>.*)", "银行 {b} 已对贷款 {r} 作出审批决定"),
    (r"bank (?P<b>\S+) has no loan (?P<r>.*)", "银行 {b} 没有贷款 {r}"),
    (
        r"a bank posting carries the bank's transaction id as Idempotency-Key",
        "银行报送须以银行交易流水号作为 Idempotency-Key",
    ),
    (r"no (?P<product>\S+) rules in force on (?P<on>.*)", "{on} 没有生效的{product}规则"),
    (
        r"no benchmark rate for (?P<t>-?\d+) months on (?P<on>.*)",
        "{on} 没有 {t} 个月期限的贷款基准利率",
    ),
    # the loan (domain.loan)
    (
        r"the contract \((?P<a>\S+) yuan, (?P<t>-?\d+) months\) exceeds the approval "
        r"\((?P<b>\S+) yuan, (?P<u>-?\d+) months\)",
        "合同（{a} 元，{t} 个月）超出审批（{b} 元，{u} 个月）",
    ),
    (r"a disbursement on (?P<on>\S+) is after maturity (?P<m>.*)", "放款日 {on} 晚于到期日 {m}"),
    (
        r"disbursing (?P<a>\S+) yuan would exceed the contract's (?P<b>\S+) \((?P<c>\S+) already "
        r"disbursed\)",
        "放款 {a} 元将超过合同金额 {b} 元（已放款 {c} 元）",
    ),
    (r"a repayment moves some principal or interest", "还款须包含本金或利息"),
    (
        r"repaying (?P<a>\S+) yuan of principal exceeds the (?P<b>\S+) yuan outstanding",
        "归还本金 {a} 元，超过未还本金 {b} 元",
    ),
    (r"a premium subsidy cannot exceed the premium", "保费补贴不能超过保费"),
    (
        r"(?P<what>.+) dated (?P<day>\S+) is earlier than the loan's last posting "
        r"\((?P<last>[^)]*)\)",
        "{what}日期 {day} 早于此笔贷款最后一笔记账日期（{last}）",
    ),
    # the risk compensation fund (domain.fund, application.lending)
    (r"a contribution is a positive amount", "缴存金额须为正数"),
    (r"loan (?P<l>\S+) already has a claim", "贷款 {l} 已申请过风险补偿"),
    (
        r"nothing is unrecovered on this loan: there is nothing to claim",
        "此笔贷款没有未收回的本金，无须申请风险补偿",
    ),
    (r"no compensation was paid on loan (?P<l>.*)", "贷款 {l} 未获得过风险补偿金代偿"),
    (
        r"only a defaulted loan can be claimed; this one is (?P<state>.*)",
        "只有已违约的贷款才能申请风险补偿；此笔贷款为“{state}”",
    ),
    (
        r"(?P<product>\S+) loans in (?P<c>\S+) are not compensated",
        "县 {c} 的{product}不在风险补偿金代偿范围内",
    ),
    # the programme's quotas (application.programme)
    (
        r"quotas would total (?P<a>\S+) yuan, over the programme's (?P<b>.*)",
        "各县额度合计将达 {a} 元，超过全省扶贫小额信贷总额度 {b} 元",
    ),
    (
        r"county (?P<c>\S+) has already committed (?P<a>\S+) yuan",
        "县 {c} 已占用额度 {a} 元，新额度不能低于此数",
    ),
    # interest-subsidy statements (application.settlement)
    (
        r"(?P<q>\S+) ends on (?P<end>\S+); its statements are issued after that",
        "{q} 至 {end} 结束，贴息结算单须在此之后出具",
    ),
    (r"the statements of (?P<q>\S+) were already issued", "{q} 的贴息结算单已出具"),
    (r"no subsidy statement (?P<s>.*)", "未找到贴息结算单 {s}"),
    (r"statement (?P<s>\S+) was paid on (?P<d>.*)", "贴息结算单 {s} 已于 {d} 支付"),
    (
        r"a statement issued on (?P<d>\S+) cannot be paid before it",
        "{d} 出具的贴息结算单，支付日期不能早于出具日期",
    ),
    # mutual-aid funds (domain.mutual_aid, the mutual-aid API)
    (r"loan (?P<l>\S+) was already granted", "借款 {l} 已发放"),
    (r"a loan is a positive amount for a positive term", "借款金额和期限须为正数"),
    (r"village (?P<v>\S+) has no mutual-aid fund(?P<rest>.*)", "村 {v} 没有互助资金{rest}"),
    (r"village (?P<v>\S+)'s fund has no loan (?P<l>.*)", "村 {v} 的互助资金没有借款 {l}"),
    (r"a repayment returns some principal", "还款须归还部分本金"),
    (
        r"repaying (?P<a>\S+) yuan exceeds the (?P<b>\S+) yuan the household owes on this loan",
        "还款 {a} 元，超过该户此笔借款尚欠的 {b} 元",
    ),
    (
        r"a repayment dated (?P<d>\S+) is earlier than the loan \((?P<l>[^)]*)\)",
        "还款日期 {d} 早于借款日期（{l}）",
    ),
    (
        r"(?P<what>.+) dated (?P<day>\S+) is earlier than the fund's last posting "
        r"\((?P<last>[^)]*)\): the cash book runs in date order",
        "{what}日期 {day} 早于互助资金最后一笔记账日期（{last}）：现金账按日期顺序登记",
    ),
]

MESSAGES: Final = Catalogue([*RULES, *REFUSALS], WORDS)
