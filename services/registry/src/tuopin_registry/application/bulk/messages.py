"""The import's error messages in Chinese (zh-CN), for the error report beside the English.

The messages are written in English where they are raised (tests, logs, the API and the
domain's rules share them); this table gives each its Chinese form, one pattern a message,
with the variable parts carried over. A message no pattern knows (a rare domain rule) is
given in English in both columns rather than dropped.
"""

import re
from typing import Final

_ID_REASONS: Final = {
    "the check digit (ISO 7064 MOD 11-2 checksum) is wrong": "校验码错误",
    "The number has an invalid length.": "位数不对（应为 18 位）",
    "The number has an invalid format.": "格式不对（前 17 位应为数字）",
    "the birth date (digits 7 to 14) is not a real date": "出生日期（第 7–14 位）不是真实日期",
    "the birth date (digits 7 to 14) is in the future": "出生日期（第 7–14 位）晚于今天",
    "the area code (first six digits) was never issued in GB/T 2260": (
        "地区码（前 6 位）从未在 GB/T 2260 中发布"
    ),
}
_WHAT: Final = {"a resident ID number": "身份证号码", "a mobile phone number": "手机号码"}
_FIELDS: Final = {"sex": "性别", "birth_date": "出生日期"}

# (English pattern, Chinese template); the named groups fill the template.
_PATTERNS: Final[list[tuple[str, str]]] = [
    (r"not filed: another row of this household has errors", "未建档：本户其他行有错误（见上）"),
    (r"is required", "必填，不能为空"),
    (r"a NUL character is not allowed", "不允许含有 NUL 字符"),
    (r"unknown value (?P<v>.+); expected one of (?P<e>.+)", "无法识别的值 {v}；应为以下之一：{e}"),
    (r"at most (?P<n>\d+) other causes, not (?P<m>\d+)", "其他致贫原因最多 {n} 个，不能是 {m} 个"),
    (
        r"(?P<v>.+) is not a (?P<n>\d+)-digit Gansu code \(62…\)",
        "{v} 不是 {n} 位甘肃行政区划代码（62 开头）",
    ),
    (r"(?P<v>.+) is not a date \(YYYY-MM-DD\)", "{v} 不是日期（格式 YYYY-MM-DD）"),
    (r"year (?P<v>\S+) is outside (?P<r>\S+)", "年份 {v} 超出 {r} 的范围"),
    (r"(?P<v>.+) is outside (?P<r>\S+)", "{v} 超出 {r} 的范围"),
    (r"(?P<v>.+) is not a year", "{v} 不是年份"),
    (r"(?P<v>.+) is neither 是 nor 否", "{v} 应填“是”或“否”"),
    (
        r"(?P<n>\d+) characters; (?P<a>\d+) to (?P<b>\d+) are allowed",
        "长度为 {n} 个字符；允许 {a} 至 {b} 个",
    ),
    (r"a name must not hold (?P<w>.+)", "姓名中不得含有{w}"),
    (
        r"the ID number is stored as a number; format the column as text",
        "证件号码按数字保存，末几位已丢失；请把该列设为文本格式后重新导出",
    ),
    (
        r"file number (?P<f>.+) is used again \(first at row (?P<r>\d+)\); .*",
        "户编号 {f} 重复使用（首次出现在第 {r} 行）；同一户的各行须相邻，户编号只能用一次",
    ),
    (r"the row's text is not valid UTF-8 or GB18030", "该行文字不是有效的 UTF-8 或 GB18030 编码"),
    (
        r"(?P<v>.+) differs from the household's first row \((?P<r>\d+): (?P<f>.*)\)",
        "{v} 与本户第一行（第 {r} 行：{f}）不一致",
    ),
    (
        r"a household has at most (?P<n>\d+) members, not (?P<m>\d+)",
        "一户最多 {n} 名成员，此户有 {m} 名",
    ),
    (r"file number (?P<f>.+) is twice in the batch", "户编号 {f} 在同一批中出现两次"),
    (
        r"person (?P<p>\S+) is already a member of household (?P<f>.+) \((?P<h>[^()]+)\)",
        "此人（{p}）已是户 {f}（{h}）的成员",
    ),
    (
        r"person (?P<p>\S+) is also a member of household (?P<f>.+) \(row (?P<r>\d+)\)"
        r" in this file",
        "此人（{p}）在本文件中也是户 {f}（第 {r} 行）的成员",
    ),
    (r"the same person appears twice in the household", "同一人在本户中出现两次"),
    (r"a return gives its date and its cause", "返贫须同时填写返贫日期和返贫原因"),
    (r"no county (?P<c>\S+) in Gansu", "甘肃省没有代码为 {c} 的县"),
    (r"village (?P<v>\S+) does not lie in county (?P<c>\S+)", "村 {v} 不属于县 {c}"),
    (r"a household has exactly one head, not (?P<n>\d+)", "一户须有且只有一名户主，此户有 {n} 名"),
    (
        r"(?P<c>\S+) is the primary cause; it cannot be secondary too",
        "{c} 已是主要致贫原因，不能再列为其他致贫原因",
    ),
    (r"a secondary cause is listed twice", "其他致贫原因重复列出"),
    (r"(?P<f>sex|birth_date) disagrees with ID number (?P<p>\S+)", "{f}与身份证号码（{p}）不符"),
    (r"invalid resident ID number (?P<p>\S*): (?P<why>.+)", "身份证号码（{p}）无效：{why}"),
]
_COMPILED: Final = [(re.compile(p, re.DOTALL), zh) for p, zh in _PATTERNS]


def zh(message: str) -> str:
    """The Chinese form of one of the import's messages (the English one if unknown)."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match is None:
            continue
        parts = match.groupdict()
        if "why" in parts:
            parts["why"] = _ID_REASONS.get(parts["why"], parts["why"])
        if "w" in parts:
            parts["w"] = _WHAT.get(parts["w"], parts["w"])
        if "f" in parts and parts["f"] in _FIELDS:
            parts["f"] = _FIELDS[parts["f"]]
        return template.format(**parts)
    return message
