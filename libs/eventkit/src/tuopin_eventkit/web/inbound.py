"""Partners' postings through Kafka: banks to loans, training centres to training.

An inbound topic carries exactly what the service's posting endpoint takes: the message's
value is the JSON body, its ``idempotency-key`` header the partner's own transaction id
and its ``authorization`` header the partner's bearer token, checked against the
endpoint's own access rule (a bank posts for itself only, over Kafka as over HTTP). The
same handler runs with the same idempotency scope, so a posting sent both ways (or
redelivered after a rebalance) counts once. What the service refuses — no valid token, a
body that does not parse, a rule broken — goes to ``<topic>.dlq`` with the reason as an
RFC 9457 problem, and nothing is written; the partition keeps flowing. A failure that
says nothing about the posting (database or broker unreachable) is retried from the
same message.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from pydantic import TypeAdapter, ValidationError

from tuopin_eventkit import context, metrics
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.failures import DeadLetters, retry_later
from tuopin_eventkit.messaging.generation import LogGuard
from tuopin_eventkit.outage import transient
from tuopin_eventkit.security import auth
from tuopin_eventkit.store.idempotency import Key, Outcome
from tuopin_eventkit.web import problems

if TYPE_CHECKING:
    from tuopin_eventkit.web.runtime import Runtime

log = logging.getLogger(__name__)

KEY_HEADER = "idempotency-key"
KEYS: TypeAdapter[str] = TypeAdapter(Key)

# Handles one posting: (runtime, validated body, idempotency key) → the command's outcome.
PostingHandler = Callable[["Runtime", Any, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class Intake:
    """What a service takes from partners on its inbound topic."""

    topic: str
    body: Any  # the posting endpoint's body type (a model or an annotated union)
    handle: PostingHandler
    rule: auth.Rule  # the posting endpoint's access rule
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.body))


class Refused(Exception):
    """A posting the service will never take as it is; its problem goes to the DLQ."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(f"{problem['title']}: {problem.get('detail', '')}".rstrip(": "))
        self.problem = problem


class IntakeConsumer:
    """Consumes an inbound topic as a member of the group ``<service>.intake``."""

    def __init__(self, runtime: "Runtime", intake: Intake) -> None:
        self.runtime, self.intake = runtime, intake
        self.settings = runtime.settings.kafka
        self.group = f"{runtime.spec.name}.intake"
        self.dead_letters = DeadLetters(self.settings, self.group)
        self.guard = LogGuard()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            consumer = kafka.consumer(self.settings, group_id=self.group)
            consumer.subscribe([self.intake.topic])
            try:
                await kafka.ensure_topics(self.settings, [self.intake.topic])
                await consumer.start()
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=100)
                    try:
                        for tp, records in batches.items():
                            await self._process(consumer, tp, records)
                    except Exception as exc:
                        if not transient(exc):
                            raise
                        backoff = await retry_later(consumer, batches, self.group, exc, backoff)
                        continue
                    await self._watch_ends(consumer)
                    backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("intake %s paused: %r", self.group, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                await consumer.stop()
                await self.dead_letters.stop()

    async def _watch_ends(self, consumer: AIOKafkaConsumer) -> None:
        """A committed offset past the end of a recreated topic: read it from the start
        (the idempotency keys make that safe) rather than wait there for nothing."""
        for tp in consumer.assignment():
            if self.guard.beyond_end(consumer, tp, await consumer.position(tp)):
                log.warning(
                    "intake %s: %s/%d was replaced; reading it from the beginning",
                    self.group,
                    tp.topic,
                    tp.partition,
                )
                await consumer.seek_to_beginning(tp)

    async def _process(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: Sequence[ConsumerRecord]
    ) -> None:
        for record in records:
            try:
                await self.receive(record)
            except BaseException:
                consumer.seek(tp, record.offset)  # take it again once the outage is over
                raise
        try:
            await consumer.commit({tp: records[-1].offset + 1})
        except CommitFailedError:  # rebalanced meanwhile; the idempotency keys dedupe
            log.info("intake %s: Kafka commit skipped after rebalance", self.group)

    async def receive(self, record: ConsumerRecord) -> Outcome | None:
        """Run one posting; a refused one is dead-lettered and ``None`` returned."""
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        key = headers.get(KEY_HEADER)
        try:
            outcome = await self._run(record.value, key, headers)
        except Refused as refused:
            await self._dead_letter(record, refused)
            return None
        metrics.EVENTS_CONSUMED.labels(self.group, "applied").inc()
        return outcome

    async def _run(self, value: bytes, key: str | None, headers: dict[str, str]) -> Outcome:
        if not key:
            raise Refused(
                problems.body(400, "Missing idempotency key", f"set the {KEY_HEADER} header")
            )
        try:
            key = KEYS.validate_python(key)
        except ValidationError:
            detail = f"the {KEY_HEADER} header must be 1 to 255 characters without NUL"
            raise Refused(problems.body(400, "Invalid idempotency key", detail)) from None
        try:
            who = self.runtime.verifier.verify(_bearer(headers.get("authorization", "")))
            # As over HTTP: the role first, then the posting validated, then its scope
            # checked on the validated posting the handler is given.
            action = f"post on {self.intake.topic}"
            if not auth.may_call(who, self.intake.rule):
                raise auth.refusal(who, action)
            posting = self.intake.adapter.validate_json(value)
            call = auth.Call({}, {}, posting, self.runtime)
            await auth.check(who, self.intake.rule, call, action)
            correlation = headers.get("correlation-id") or key
            with context.caused_by(correlation, None, who.actor):
                return await self.intake.handle(self.runtime, posting, key)
        except Exception as exc:
            if transient(exc):  # the database away: take this posting again later
                raise
            problem = problems.describe(exc)
            if problem is None:
                log.exception("intake %s: posting %s failed", self.group, key)
                problem = problems.body(500, "Internal error", repr(exc))
            raise Refused(problem) from exc

    async def _dead_letter(self, record: ConsumerRecord, refused: Refused) -> None:
        problem = json.dumps(refused.problem, ensure_ascii=False).encode()
        await self.dead_letters.send(record, str(refused), problem=problem)


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise auth.Unauthenticated("an authorization header with a bearer token is required")
    return token
