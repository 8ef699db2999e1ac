"""The registry's messages in Chinese: every refusal its rules answer with, and every error
of the import's report, one catalogue (the kernel's ``Catalogue``).

The messages are written in English where they are raised (tests, logs and the domain's
rules share them); this table gives each its Chinese form, one pattern a message, with the
variable parts carried over and the shared words (statuses, causes, commands) said in
Chinese. The problems middleware puts the Chinese before the English for a caller whose
Accept-Language prefers Chinese; the import's error report has both columns.
"""

from typing import Final

from tuopin_contracts import vocabulary
from tuopin_eventkit.chinese import Catalogue
from tuopin_eventkit.web.localised import KERNEL

# The words the messages share: the import's fields, the household's commands
# and states (an InvalidTransition is said by the kernel's pattern with these words).
WORDS: Final = {
    **vocabulary.ZH,
    "a resident ID number": "身份证号码",
    "a mobile phone number": "手机号码",
    "sex": "性别",
    "birth_date": "出生日期",
    # what an InvalidTransition names: the aggregate, its state, the command refused
    "person's identity": "此人的身份信息",
    "person": "此人",
    "already erased": "已删除",
    "a current member of the household": "本户现有成员",
    "unregistered": "未登记",
    "start assistance": "开始帮扶",
    "propose exit": "提出脱贫退出",
    "publicise exit": "公示脱贫退出",
    "confirm or reject exit": "确认或否决脱贫退出",
    "record an exit verified before the register": "补录建档前已核实的脱贫退出",
    "return to poverty": "登记返贫",
    "annul a mistaken exit": "撤销错误的脱贫退出",
    "remove as wrongly identified": "作为识别不准清退",
    "change a removed file": "修改已清退的档案",
    "erase it": "再次删除",
    "erase their identity": "删除其身份信息",
    "change it": "修改",
}

# (English pattern of a whole message, Chinese template): the specific before the general.
REFUSALS: Final = [
    # households (domain.household, domain.filing)
    (r"the household already has a head", "本户已有户主"),
    (r"the head of household cannot be removed", "不能移除户主"),
    (r"a correction gives its reason", "更正须说明理由"),
    (r"the corrected ID number is the one already recorded", "更正后的身份证号码与已登记的相同"),
    (r"(?P<p>\S+) was never a member of this household", "{p} 从未是本户成员"),
    (r"(?P<p>\S+) is not a member of this household", "{p} 不是本户成员"),
    (
        r"an erasure cites the deletion request it honours \(reason\)",
        "删除身份信息须注明所依据的删除申请（reason）",
    ),
    (
        r"income is per head of (?P<n>-?\d+) members, not (?P<m>-?\d+)",
        "人均收入按本户 {n} 名成员计算，而不是 {m} 名",
    ),
    (
        r"per-head income must be the total divided by the members",
        "人均纯收入须等于家庭纯收入除以人数",
    ),
    (r"a relocation names its resettlement site", "易地扶贫搬迁须注明安置点"),
    (r"the public notice \(公示\) lasts at least (?P<n>-?\d+) days", "公示期不得少于 {n} 天"),
    (r"annulling an exit is a correction: it needs a reason", "撤销脱贫退出属于更正，须说明理由"),
    (r"no income of (?P<year>\S+) is recorded to correct", "没有 {year} 年的收入记录可供更正"),
    (r"removing a household from the register needs a reason", "将贫困户清退出建档立卡须说明理由"),
    (
        r"cannot (?P<command>.+) as of (?P<on>\S+): the household is (?P<status>\S+) since "
        r"(?P<since>.*)",
        "贫困户自 {since} 起为“{status}”，不能以 {on} 为日期{command}",
    ),
    (r"village (?P<v>\S+) does not lie in county (?P<c>.*)", "村 {v} 不属于县 {c}"),
    (
        r"a household has exactly one head, not (?P<n>-?\d+)",
        "一户须有且只有一名户主，此户有 {n} 名",
    ),
    (r"the same person appears twice in the household", "同一人在本户中出现两次"),
    (
        r"(?P<c>\S+) is the primary cause; it cannot be secondary too",
        "“{c}”已是主要致贫原因，不能再列为其他致贫原因",
    ),
    (r"a secondary cause is listed twice", "其他致贫原因重复列出"),
    # people (application.commands, application.people, the people API)
    (r"(?P<f>\S+) disagrees with ID number (?P<p>.*)", "{f}与身份证号码（{p}）不符"),
    (r"the details of person (?P<p>\S+) were erased", "此人（{p}）的身份信息已删除"),
    (
        r"the identity of person (?P<p>\S+) was erased on (?P<d>.*)",
        "此人（{p}）的身份信息已于 {d} 应本人申请删除",
    ),
    (
        r"person (?P<p>\S+) is already a member of household (?P<h>.*)",
        "此人（{p}）已是贫困户 {h} 的成员",
    ),
    (r"file number (?P<f>.+) is already registered", "户编号 {f} 已建档"),
    (r"no resident ID number on file for person (?P<p>.*)", "档案中没有此人（{p}）的身份证号码"),
    # villages (domain.village, hardship belts)
    (r"village (?P<v>\S+) is already registered", "村 {v} 已登记"),
    (r"village (?P<v>\S+) lies in no known Gansu county", "村 {v} 不属于甘肃省任何已知的县"),
    (r"a resident work team \(驻村工作队\) has at least one member", "驻村工作队至少有一名队员"),
    (r"record at least one condition", "请至少填写一项村情指标"),
    (
        r"dangerous_houses and dangerous_houses_renovated come together",
        "dangerous_houses（危房户数）与 dangerous_houses_renovated（已改造户数）须同时填写",
    ),
    (
        r"(?P<r>-?\d+) dangerous houses renovated of only (?P<d>-?\d+) \(危房改造\)",
        "危房改造：已改造 {r} 户，多于危房总数 {d} 户",
    ),
    (
        r"no special-hardship belt \(特困片带\) (?P<code>\S+) in reference list (?P<version>.*)",
        "参考目录 {version} 中没有特困片带 {code}",
    ),
    (
        r"village (?P<v>\S+) lies outside belt (?P<code>\S+) \((?P<name>.*)\)",
        "村 {v} 不在特困片带 {code}（{name}）内",
    ),
    (r"no hardship belt (?P<code>.*)", "未找到特困片带 {code}"),
    # the needs and measures ledger (domain.ledger)
    (r"need (?P<n>\S+) is already listed", "需求 {n} 已登记"),
    (r"measure (?P<m>\S+) is already planned", "帮扶措施 {m} 已列入计划"),
    (r"measure answers an unknown need (?P<n>.*)", "帮扶措施对应的需求 {n} 不存在"),
    (r"no measure (?P<m>\S+) is planned", "没有计划中的帮扶措施 {m}"),
    (r"measure (?P<m>\S+) is already completed", "帮扶措施 {m} 已完成"),
    (r"progress cannot go back from (?P<a>-?\d+)% to (?P<b>-?\d+)%", "进度不能从 {a}% 倒退到 {b}%"),
    (
        r"a measure is completed exactly when its progress is 100%",
        "帮扶措施当且仅当进度为 100% 时才算完成",
    ),
    (r"spending is cumulative and cannot decrease", "资金投入为累计数，不能减少"),
    # the registry's 404s beyond the kernel's "no <thing> <id>"
    (r"no person (?P<p>\S+)(?P<rest>.*)", "未找到此人 {p}{rest}"),
    (r"no import (?P<i>.*)", "未找到导入批次 {i}"),
]

# The import's own errors (cells, rows, the batch): each is a row's entry in the report;
# a file it cannot read at all is refused whole (422 unreadable-file).
IMPORT: Final = [
    (r"cannot read (?P<f>.+): (?P<why>.+)", "无法读取文件 {f}：{why}"),
    (
        r"an XLS \(Excel 97–2003\) file: save it as XLSX or CSV",
        "这是 XLS（Excel 97–2003）文件：请另存为 XLSX 或 CSV 后再导入",
    ),
    (r"neither a CSV nor an XLSX file", "既不是 CSV 文件，也不是 XLSX 文件"),
    (r"not a readable CSV file: (?P<why>.+)", "无法读取的 CSV 文件：{why}"),
    (r"not a readable XLSX file: (?P<why>.+)", "无法读取的 XLSX 文件：{why}"),
    (
        r"no header row naming the file number \(户编号 or file_number\) and the ID number "
        r"\(证件号码 or id_number\) in the first (?P<n>-?\d+) rows",
        "前 {n} 行中没有表头行：表头须含户编号（或 file_number）和证件号码（或 id_number）",
    ),
    (r"two columns hold (?P<name>\S+): (?P<a>.+) and (?P<b>.+)", "两列都对应 {name}：{a} 和 {b}"),
    (r"missing columns: (?P<names>.+)", "缺少以下列：{names}"),
    (r"not filed: another row of this household has errors", "未建档：本户其他行有错误（见上）"),
    (r"is required", "必填，不能为空"),
    (r"a NUL character is not allowed", "不允许含有 NUL 字符"),
    (r"unknown value (?P<v>.+); expected one of (?P<e>.+)", "无法识别的值 {v}；应为以下之一：{e}"),
    (
        r"at most (?P<n>-?\d+) other causes, not (?P<m>-?\d+)",
        "其他致贫原因最多 {n} 个，不能是 {m} 个",
    ),
    (
        r"(?P<v>.+) is not a (?P<n>-?\d+)-digit Gansu code \(62…\)",
        "{v} 不是 {n} 位甘肃行政区划代码（62 开头）",
    ),
    (r"(?P<v>.+) is not a date \(YYYY-MM-DD\)", "{v} 不是日期（格式 YYYY-MM-DD）"),
    (r"year (?P<v>\S+) is outside (?P<r>.*)", "年份 {v} 超出 {r} 的范围"),
    (r"(?P<v>.+) is outside (?P<r>.*)", "{v} 超出 {r} 的范围"),
    (r"(?P<v>.+) is not a year", "{v} 不是年份"),
    (r"(?P<v>.+) is neither 是 nor 否", "{v} 应填“是”或“否”"),
    (
        r"(?P<n>-?\d+) characters; (?P<a>-?\d+) to (?P<b>-?\d+) are allowed",
        "长度为 {n} 个字符；允许 {a} 至 {b} 个",
    ),
    (r"a name must not hold (?P<w>.+)", "姓名中不得含有{w}"),
    (
        r"the ID number is stored as a number; format the column as text",
        "证件号码按数字保存，末几位已丢失；请把该列设为文本格式后重新导出",
    ),
    (
        r"file number (?P<f>.+) is used again \(first at row (?P<r>-?\d+)\); .*",
        "户编号 {f} 重复使用（首次出现在第 {r} 行）；同一户的各行须相邻，户编号只能用一次",
    ),
    (r"the row's text is not valid UTF-8 or GB18030", "该行文字不是有效的 UTF-8 或 GB18030 编码"),
    (
        r"(?P<v>.+) differs from the household's first row \((?P<r>-?\d+): (?P<f>.*)\)",
        "{v} 与本户第一行（第 {r} 行：{f}）不一致",
    ),
    (
        r"a household has at most (?P<n>-?\d+) members, not (?P<m>-?\d+)",
        "一户最多 {n} 名成员，此户有 {m} 名",
    ),
    (r"file number (?P<f>.+) is twice in the batch", "户编号 {f} 在同一批中出现两次"),
    (
        r"person (?P<p>\S+) is already a member of household (?P<f>.+) \((?P<h>[^()]+)\)",
        "此人（{p}）已是户 {f}（{h}）的成员",
    ),
    (
        r"person (?P<p>\S+) is also a member of household (?P<f>.+) \(row (?P<r>-?\d+)\)"
        r" in this file",
        "此人（{p}）在本文件中也是户 {f}（第 {r} 行）的成员",
    ),
    (r"a return gives its date and its cause", "返贫须同时填写返贫日期和返贫原因"),
    (r"no county (?P<c>\S+) in Gansu", "甘肃省没有代码为 {c} 的县"),
]

MESSAGES: Final = Catalogue([*IMPORT, *REFUSALS], WORDS)
# What the import's report says with: the registry's messages and the kernel's (an invalid
# resident ID number is the kernel's identity check).
REPORTED: Final = MESSAGES + KERNEL
