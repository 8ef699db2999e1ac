"""A generated 建档立卡 export as the provincial system writes it: Chinese headers and
values, one row per person (≈4.3 a household), valid and unique resident ID numbers, eight
poor counties with villages in each (``bench.registry_import``, ``bench.reads``)."""

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from tuopin_registry.application import bulk
from tuopin_registry.application.bulk.columns import HISTORY_FIELDS

# Poor counties whose codes are valid in resident ID numbers of any birth year.
COUNTIES = ["620121", "620123", "622921", "622922", "622924", "622926", "623021", "623023"]
TOWNSHIPS, VILLAGES = 12, 15  # per county, per township
SIZES = {1: 4, 2: 12, 3: 18, 4: 22, 5: 20, 6: 13, 7: 7, 8: 4}  # members: weight (mean 4.29)

# The usual Chinese header of every field the import reads, and one it ignores, as exports do.
HEADER = [names.split()[0] for names in bulk.COLUMNS.values()] + ["联系电话"]
ATTRIBUTES = ["一般贫困户"] * 7 + ["低保贫困户"] * 2 + ["五保贫困户"]
CAUSES = ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金"]
CAUSES += ["交通条件落后", "自身发展动力不足"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗马韩"
GIVEN = "建国秀英小明志强桂兰玉梅海军永红文华春生福德丽娟国庆兴旺"


def generate(path: Path, households: int, seed: int = 2016) -> int:
    """Write the export; return the number of people (rows)."""
    rng = random.Random(seed)
    serials: dict[tuple[str, date], int] = {}
    sizes, weights = list(SIZES), list(SIZES.values())

    def id_number(region: str, born: date, male: bool) -> str:
        serial = serials.get((region, born), 0)
        serials[(region, born)] = serial + 1  # 500 people per region, day and sex at most
        body = f"{region}{born:%Y%m%d}{serial * 2 + male:03d}"
        return body + ric.calc_check_digit(body + "0")

    def born(first: int, last: int) -> date:
        return date(first, 1, 1) + timedelta(days=rng.randrange((last - first + 1) * 365))

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))

    people = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        for n in range(households):
            county = COUNTIES[n % len(COUNTIES)]
            village = (
                f"{county}{100 + rng.randrange(TOWNSHIPS):03d}{200 + rng.randrange(VILLAGES):03d}"
            )
            primary, *others = rng.sample(CAUSES, rng.choice((1, 1, 2, 3)))
            year = rng.choice((2014, 2015, 2016))
            household = [
                f"{county}{n:08d}",
                county,
                village,
                rng.choice(ATTRIBUTES),
                primary,
                "、".join(others),
                str(year),
                f"{year}-{rng.randint(3, 10):02d}-{rng.randint(1, 28):02d}",
                *("" for _ in HISTORY_FIELDS),  # filed only: no later history
            ]
            size = rng.choices(sizes, weights)[0]
            members = [("户主", True, born(1945, 1985))]
            if size > 1:
                members.append(("配偶", False, born(1945, 1985)))
            for _ in range(size - len(members)):
                male = rng.random() < 0.5
                members.append(("之子" if male else "之女", male, born(1995, 2015)))
            for relation, male, birth in members:
                child = birth.year >= 1995
                out.writerow(
                    [
                        *household,
                        name(),
                        id_number(county, birth, male),
                        relation,
                        "男" if male else "女",
                        f"{birth:%Y-%m-%d}",
                        rng.choice(("小学", "初中"))
                        if child
                        else rng.choice(("文盲或半文盲", "小学", "初中")),
                        rng.choice(("小学三年级", "七年级", "高中一年级", "中职一年级"))
                        if child
                        else "非在校生",
                        rng.choice(("健康", "健康", "健康", "长期慢性病", "患有大病", "残疾")),
                        rng.choice(("否",) * 15 + ("是",)),
                        "无劳动力" if child else rng.choice(("普通劳动力", "弱劳动力或半劳动力")),
                        "是",
                        "否" if child else "是",
                        f"13{rng.randrange(10**9):09d}",
                    ]
                )
                people += 1
    return people
