"""The programme's rules as shipped data (``reference/``): products, benchmark rates,
the microcredit ceiling and the funds' warning line. Correct the files, not the code."""

import csv
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files

from tuopin_contracts.vocabulary import LoanProduct
from tuopin_loans.domain.rules import BenchmarkRate, ProductRule

REFERENCE = files("tuopin_loans") / "reference"


@dataclass(frozen=True)
class Programme:
    products: tuple[ProductRule, ...]
    rates: tuple[BenchmarkRate, ...]
    microcredit_ceiling: int  # fen, province-wide
    fund_warning_ratio: Decimal


@cache
def programme() -> Programme:
    data = json.loads((REFERENCE / "programme.json").read_text(encoding="utf-8"))
    products = tuple(
        ProductRule(
            product=LoanProduct(p["product"]),
            effective_from=date.fromisoformat(p["effective_from"]),
            max_amount=p["max_amount"],
            max_term_months=p["max_term_months"],
            subsidy_months=p["subsidy_months"],
            borrower_min_age=p["borrower_min_age"],
            borrower_max_age=p["borrower_max_age"],
            requires_relocating=p.get("requires_relocating", False),
            student=p.get("student", False),
            compensation_ratios=tuple(
                (prefix, Decimal(r)) for prefix, r in p["compensation_ratios"].items()
            ),
            source=p["source"],
        )
        for p in data["products"]
    )
    with (REFERENCE / "benchmark_rates.csv").open(encoding="utf-8") as f:
        rates = tuple(
            BenchmarkRate(
                effective_from=date.fromisoformat(row["effective_from"]),
                max_term_months=int(row["max_term_months"]),
                annual_rate=Decimal(row["annual_rate"]),
            )
            for row in csv.DictReader(f)
        )
    return Programme(
        products, rates, data["microcredit_ceiling"], Decimal(data["fund_warning_ratio"])
    )
