"""Income per head around the year's poverty line, in bands: at or below the line, up to
1.5 times it, up to twice it, above twice it — and how many households fall in each.
Pure: standard library only.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tuopin_evaluation.domain.village_figures import ratio

BAND_MULTIPLES = (Decimal(1), Decimal("1.5"), Decimal(2))
BAND_NAMES = ("at_or_below_line", "line_to_1.5x", "1.5x_to_2x", "above_2x")


@dataclass(frozen=True)
class Band:
    """Income per head in fen: above ``above_fen`` (exclusive), up to ``up_to_fen``
    (inclusive); a household at the line is in the first band, as it fails the exit test."""

    name: str
    above_fen: int | None
    up_to_fen: int | None

    def holds(self, per_head: int) -> bool:
        return (self.above_fen is None or per_head > self.above_fen) and (
            self.up_to_fen is None or per_head <= self.up_to_fen
        )


def income_bands(line_fen: int) -> tuple[Band, ...]:
    """At or below the line; above it up to 1.5×; up to 2×; above 2× — bounds in whole fen."""
    if line_fen <= 0:
        raise ValueError("the poverty line must be positive")
    bounds = [int((line_fen * m).to_integral_value(ROUND_HALF_UP)) for m in BAND_MULTIPLES]
    lower: list[int | None] = [None, *bounds]
    upper: list[int | None] = [*bounds, None]
    return tuple(Band(n, a, b) for n, a, b in zip(BAND_NAMES, lower, upper, strict=True))


def band_of(per_head: int, bands: Iterable[Band]) -> Band:
    for band in bands:
        if band.holds(per_head):
            return band
    raise ValueError(f"no band holds {per_head}")


@dataclass(frozen=True)
class BandCount:
    band: Band
    households: int
    share: Decimal | None  # of the households with an income that year


def distribution(bands: Iterable[Band], counts: Mapping[str, int]) -> list[BandCount]:
    bands = list(bands)
    total = sum(counts.get(b.name, 0) for b in bands)
    return [
        BandCount(
            b,
            counts.get(b.name, 0),
            ratio(counts.get(b.name, 0), total) if total else None,
        )
        for b in bands
    ]
