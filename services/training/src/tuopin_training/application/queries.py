"""Reading the training records: centres, programmes, public certificate verification, and
what the access rules look up (a programme's centre, a household's village)."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.store.aggregate import NotFound
from tuopin_training.application.records import centres, certificates, enrolments, programmes


async def programme(conn: AsyncConnection, programme_id: str) -> dict[str, Any]:
    row = (
        await conn.execute(select(programmes).where(programmes.c.programme_id == programme_id))
    ).first()
    if row is None:
        raise NotFound(f"no programme {programme_id}")
    seats = await conn.scalar(
        select(func.count()).where(
            enrolments.c.programme_id == programme_id, enrolments.c.stage != "dropped_out"
        )
    )
    by_stage: dict[str, int] = dict(
        (
            await conn.execute(
                select(enrolments.c.stage, func.count())
                .where(enrolments.c.programme_id == programme_id)
                .group_by(enrolments.c.stage)
            )
        ).all()
    )
    return {**row._mapping, "seats_taken": seats, "enrolments": by_stage}


async def programme_centre(conn: AsyncConnection, programme_id: str) -> str | None:
    """The centre running a programme (whose records the programme is), if known."""
    query = select(programmes.c.centre_id).where(programmes.c.programme_id == programme_id)
    return await conn.scalar(query)


async def centre_list(conn: AsyncConnection, county_code: str | None) -> list[dict[str, Any]]:
    query = select(centres).order_by(centres.c.county_code, centres.c.name)
    if county_code:
        query = query.where(centres.c.county_code == county_code)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def verify(conn: AsyncConnection, issuer: str, number: str, day: date) -> dict[str, Any]:
    """What anyone may learn of a certificate (证书查询): holder masked, occupation, level,
    and whether it is valid on ``day``, expired, or revoked and why."""
    c = certificates
    row = (
        await conn.execute(
            select(c, centres.c.name.label("issuer_name"))
            .join(centres, centres.c.centre_id == c.c.centre_id)
            .where(c.c.centre_id == issuer, c.c.number == number)
        )
    ).first()
    if row is None:
        raise NotFound(f"centre {issuer} issued no certificate numbered {number}")
    if row.revoked_on is not None and row.revoked_on <= day:
        status = "revoked"
    elif row.valid_until is not None and day > row.valid_until:
        status = "expired"
    else:
        status = "valid"
    return {
        "issuer": issuer,
        "issuer_name": row.issuer_name,
        "number": number,
        "holder": row.id_number_masked,
        "occupation": row.occupation,
        "occupation_name": row.occupation_name,
        "level": row.level,
        "issued_on": row.issued_on,
        "valid_until": row.valid_until,
        "status": status,
        "revoked_on": row.revoked_on if status == "revoked" else None,
        "revocation_reason": row.revocation_reason if status == "revoked" else None,
        "checked_on": day,
    }
