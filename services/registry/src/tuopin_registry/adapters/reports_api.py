"""Counts and reports for leaders, and the reference data: regions, hardship belts."""

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Path, Query

from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.web.http import Router
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_registry.adapters import views as v
from tuopin_registry.adapters.villages_api import belts
from tuopin_registry.application import queries
from tuopin_registry.reference.belts import EXPECTED_TOTAL, Belt
from tuopin_registry.reference.regions import gansu

router = Router(prefix="/v1")
Region = Annotated[str, Query(pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$")]


@router.get(
    "/summary",
    tags=["reports"],
    response_model=v.Summary,
    summary="Households and people by region and status",
)
async def summary(
    runtime: RuntimeDep,
    region: Region = "620000",
    level: Literal["city", "county", "township", "village"] = "county",
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        regions = await queries.summary(conn, region, level)
    return {"region": region, "level": level, "regions": regions}


@router.get(
    "/reports/without-responsible",
    tags=["reports"],
    response_model=v.WithoutResponsible,
    summary="不脱贫不脱钩: households and poor villages nobody answers for",
)
async def without_responsible(runtime: RuntimeDep, region: Region = "620000") -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await queries.without_responsible(conn, region)


@router.get(
    "/regions/{code}",
    tags=["reference"],
    response_model=v.RegionWithChildren,
    summary="A region and its sub-regions",
)
async def region(code: Annotated[str, Path(pattern=r"^62[0-9]{4}$")]) -> dict[str, Any]:
    table = gansu()
    found = table.get(code)
    if found is None:
        raise NotFound(f"no region {code}")
    return {**asdict(found), "children": [asdict(c) for c in table.children(code)]}


def _belt(b: Belt) -> dict[str, Any]:
    return {**asdict(b), "counties": list(b.counties), "townships": list(b.townships)}


@router.get(
    "/hardship-belts",
    tags=["reference"],
    response_model=v.Belts,
    summary="The special-hardship belts (特困片带) villages are assigned to, with their source",
)
async def hardship_belts(runtime: RuntimeDep) -> dict[str, Any]:
    table = belts(runtime)
    return {
        "version": table.version,
        "source": table.source,
        "expected": EXPECTED_TOTAL,  # seed 一.1
        "loaded": len(table),
        "complete": table.complete,
        "items": [_belt(b) for b in table],
    }


@router.get(
    "/hardship-belts/{code}",
    tags=["reference"],
    response_model=v.OneBelt,
    summary="One special-hardship belt",
)
async def hardship_belt(
    code: Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")], runtime: RuntimeDep
) -> dict[str, Any]:
    found = belts(runtime).get(code)
    if found is None:
        raise NotFound(f"no hardship belt {code}")
    return {**_belt(found), "version": belts(runtime).version}
