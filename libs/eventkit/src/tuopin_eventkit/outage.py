"""Outages: failures that say nothing about the request or the event at hand.

The database unreachable or shutting down, a connection lost mid-transaction, the pool
exhausted. Decided here once: HTTP answers them 503 with ``Retry-After`` (``problems``),
the Kafka consumers take the same message again later instead of dead-lettering it
(``consumer``, ``inbound``). A transaction cut short by one wrote nothing, unless its
commit reached the server: a retry with the same idempotency key then recalls the answer.
"""

from collections.abc import Iterator

import asyncpg
from sqlalchemy import exc as sa

RETRY_AFTER_SECONDS = 5

# What an outage arrives as (``transient`` decides among them). SQLAlchemy wraps most
# driver errors; opening a connection raises the driver's or the socket's own.
SUSPECTS: tuple[type[Exception], ...] = (
    sa.SQLAlchemyError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)

# Connection lost or refused, pool timeout, SQLite busy; the socket's errors and timeouts.
_ALWAYS = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, asyncpg.InterfaceError)
# OSErrors of files, not of connections: a bug or a bad path, retrying changes nothing.
_FILES = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)
# SQLSTATE classes of a server away or out of breath, not of a bad statement: 08
# connection exception, 53 insufficient resources (too many connections), 57 operator
# intervention (shutting down, starting up, crashed). asyncpg reports some of them as a
# plain DBAPIError ("connection was closed in the middle of operation").
_SQLSTATE_CLASSES = ("08", "53", "57")


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is an outage: retry later, refuse nothing."""
    for cause in _causes(exc):
        if isinstance(cause, _ALWAYS):
            return True
        if isinstance(cause, sa.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, OSError) and not isinstance(cause, _FILES):
            return True
        if str(getattr(cause, "sqlstate", None) or "")[:2] in _SQLSTATE_CLASSES:
            return True
    return False


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what it wraps (SQLAlchemy's ``orig``, ``raise … from``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__
