"""Pytest plugin of the cross-service tests (``-p tuopin_cli.testing``): ``stack``, the whole
system as ``tuopin up`` runs it, on SQLite and (when configured) on PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from tuopin_cli.stack import SERVICES, Stack
from tuopin_eventkit.messaging.broker import free_port
from tuopin_eventkit.testing import DATABASES, fresh_postgres_database


@pytest.fixture(params=DATABASES)
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    stack = Stack(
        var=tmp_path / "var",
        kafka_port=free_port(),
        ports={service: free_port() for service in SERVICES},
    )
    async with AsyncExitStack() as databases:
        if request.param == "postgres":
            for service in SERVICES:
                stack.database_urls[service] = await databases.enter_async_context(
                    fresh_postgres_database()
                )
        try:
            await asyncio.to_thread(stack.up)
            yield stack
        finally:
            await asyncio.to_thread(stack.down)


@asynccontextmanager
async def some_of(tmp_path: Path, *services: str) -> AsyncIterator[Stack]:
    """The broker and only the named services (SQLite), for a test about how they meet."""
    stack = Stack(
        var=tmp_path / "var",
        kafka_port=free_port(),
        ports={service: free_port() for service in services},
    )
    try:
        await asyncio.to_thread(stack.start_broker)
        for service in services:
            await asyncio.to_thread(stack.start, service)
        for service in services:
            await asyncio.to_thread(stack.wait_ready, service)
        yield stack
    finally:
        await asyncio.to_thread(stack.down)
