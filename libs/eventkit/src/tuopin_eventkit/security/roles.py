"""The roles a caller may have (standard library only: `tuopin --help` lists them without
importing the token machinery)."""

from enum import StrEnum


class Role(StrEnum):
    PROVINCE_ADMIN = "province_admin"  # 省扶贫办
    CITY_OFFICER = "city_officer"  # 市
    COUNTY_OFFICER = "county_officer"  # 县
    TOWNSHIP_OFFICER = "township_officer"  # 乡镇
    VILLAGE_CADRE = "village_cadre"  # 村干部, 驻村工作队
    BANK = "bank"  # a bank's service account
    TRAINING_CENTRE = "training_centre"  # a training centre's service account
    EVALUATOR = "evaluator"  # 第三方评估: reads and records findings for its counties
    AUDITOR = "auditor"  # reads everything, history included, changes nothing
