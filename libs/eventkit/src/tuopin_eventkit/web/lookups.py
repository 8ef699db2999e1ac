"""Access lookups that read the service's own tables. Apart from ``security.auth``, which
``tuopin token`` imports and which must not bring the database layer with it."""

from typing import Any

from sqlalchemy import ColumnElement, select

from tuopin_eventkit.security.auth import Resolver, Target, looked_up
from tuopin_eventkit.web.runtime import Runtime


def kept_region(region: ColumnElement[Any], key: ColumnElement[Any], *, path: str) -> Resolver:
    """The region is kept in one of the service's own tables: the ``region`` column (a
    household's village …) of the row whose ``key`` is the path parameter; none, 404."""

    async def find(runtime: Runtime, value: str) -> Target | None:
        async with runtime.reader.connect() as conn:
            found = await conn.scalar(select(region).where(key == value))
        return Target(region=str(found)) if found else None

    return looked_up(find, path=path)
