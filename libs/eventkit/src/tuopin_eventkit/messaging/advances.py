"""Word, within one process, that a projection committed a batch.

A reaction that reads a read model (``Reaction.after``) waits, batch by batch, until that
read model has applied the same offsets. Both usually run in one service process: the read
model's commit then wakes the reaction at once, rather than at its next look at the stored
offsets. The looking stays, for a read model applied in another process (replicas share a
consumer group's partitions).
"""

import asyncio
from contextlib import suppress


class Advances:
    def __init__(self) -> None:
        self._next: dict[str, asyncio.Event] = {}

    def advanced(self, projection: str) -> None:
        """``projection`` committed a batch: wake whoever waits for its next one."""
        event = self._next.pop(projection, None)
        if event is not None:
            event.set()

    def next(self, projection: str) -> asyncio.Event:
        """Set when ``projection`` next commits a batch. Taken before looking at its stored
        offsets, so that a commit in between still wakes the one who looked."""
        return self._next.setdefault(projection, asyncio.Event())


async def until(event: asyncio.Event, seconds: float) -> None:
    """Wait for ``event``, at most ``seconds`` (a reaction for its read model, the relay
    for an append). Not ``wait_for``: on Python 3.11 it swallows a cancellation that meets
    the wake-up (CPython gh-86296), and the relay never stopped."""
    with suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
