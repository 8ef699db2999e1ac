"""Dead letters for operators: what a service's consumers parked on ``<topic>.dlq``, and
re-driving them to their topic once the cause is fixed.

A dead letter is the original message (value, key, headers) plus the DLQ's diagnostic
headers: ``error`` (why), ``consumer`` (who refused it), ``origin`` (topic/partition/offset
it came from) and, for a partner's posting, ``problem`` (the RFC 9457 refusal). Credential
headers never reach a DLQ (see ``CREDENTIAL_HEADERS``) and are never shown from one.

Re-driving publishes the message again on its original topic, without the diagnostic
headers and with ``redriven-from`` naming the dead letter. It is safe to repeat: a
projection dedupes on the CloudEvents ``source`` + ``id``, an intake on the idempotency
key, so a message re-driven twice counts once. It lands at the end of its partition,
after its key's later messages, so it suits facts that do not depend on their order
(or whose later ones were parked too and are re-driven with it, in order).
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tuopin_contracts.topics import dead_letter_topic
from tuopin_eventkit.messaging import kafka, offsets

if TYPE_CHECKING:
    from tuopin_eventkit.web.runtime import ServiceSpec

Headers = Sequence[tuple[str, bytes]]

# Headers that carry a credential. A dead letter is kept as long as the topic (forever,
# with infinite retention), read by operators and re-driven by tools: a partner's bearer
# token copied there would stay usable by anyone who can read the DLQ until it expires.
# So DeadLetters drops these, and nothing here prints them even from older messages.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
# What the DLQ adds to a message; re-driving takes it off again.
DIAGNOSTIC_HEADERS = frozenset({"error", "consumer", "origin", "problem", "redriven-from"})
REDRIVEN_FROM = "redriven-from"


def without_credentials(headers: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [(name, value) for name, value in headers if name.lower() not in CREDENTIAL_HEADERS]


def consumed_topics(spec: "ServiceSpec") -> list[str]:
    """The topics the service's consumers read: its projections', reactions' and intake's."""
    topics = {topic for projection in spec.subscriptions for topic in projection.topics}
    if spec.intake is not None:
        topics.add(str(spec.intake.topic))
    return sorted(topics)


def consumer_names(spec: "ServiceSpec") -> set[str]:
    """The names its consumers sign dead letters with (the intake's is its group's)."""
    names = {projection.name for projection in spec.subscriptions}
    if spec.intake is not None:
        names.add(f"{spec.name}.intake")  # as IntakeConsumer names its group
    return names


def chosen_topics(spec: "ServiceSpec", topic: str | None) -> list[str]:
    """The consumed topics named by ``topic`` (itself or its DLQ), or all of them."""
    consumed = consumed_topics(spec)
    if topic is None:
        return consumed
    source = topic.removesuffix(".dlq")
    if source not in consumed:
        raise LookupError(f"{spec.name} consumes no topic {topic!r} (it reads: {consumed})")
    return [source]


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the DLQ
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    timestamp: int  # milliseconds since the epoch, as the broker kept it

    @property
    def source_topic(self) -> str:
        return self.topic.removesuffix(".dlq")

    @property
    def at(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    def header(self, name: str) -> str | None:
        for key, value in reversed(self.headers):  # the DLQ's own come last
            if key == name:
                return value.decode(errors="replace")
        return None

    @property
    def consumer(self) -> str | None:
        return self.header("consumer")

    @property
    def reason(self) -> str | None:
        return self.header("error")

    @property
    def origin(self) -> str | None:
        return self.header("origin")

    def summary(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": _text(self.key),
            "when": self.when.isoformat(),
            "consumer": self.consumer,
            "reason": self.reason,
            "origin": self.origin,
        }

    def full(self) -> dict[str, Any]:
        """Everything but credentials: headers (JSON ones parsed) and the value (parsed
        if it is JSON, else as text)."""
        shown = without_credentials(self.headers)
        return {
            **self.summary(),
            "headers": [[name, _readable(value)] for name, value in shown],
            "withheld_headers": sorted({n for n, _ in self.headers} - {n for n, _ in shown}),
            "value": _readable(self.value),
        }

    def redrive_headers(self, authorization: str | None = None) -> list[tuple[str, bytes]]:
        """The original headers, without diagnostics and credentials, and where from."""
        headers = [
            (name, value)
            for name, value in without_credentials(self.headers)
            if name not in DIAGNOSTIC_HEADERS
        ]
        headers.append((REDRIVEN_FROM, f"{self.topic}/{self.partition}/{self.offset}".encode()))
        if authorization is not None:
            headers.append(("authorization", authorization.encode()))
        return headers


async def read(
    settings: kafka.KafkaSettings, topics: Sequence[str], consumers: set[str] | None = None
) -> list[DeadLetter]:
    """The dead letters on the DLQs of ``topics`` (those signed by ``consumers`` if given),
    oldest first."""
    async with offsets.reader(settings) as consumer:
        tps = await offsets.partitions(consumer, [dead_letter_topic(t) for t in topics])
        records = await offsets.read_all(consumer, tps, settings.request_timeout_ms / 1000)
    letters = [
        DeadLetter(
            r.topic, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers), r.timestamp
        )
        for r in records
    ]
    if consumers is not None:
        letters = [letter for letter in letters if letter.consumer in consumers]
    return sorted(letters, key=lambda d: (d.timestamp, d.topic, d.partition, d.offset))


def pick(letters: Sequence[DeadLetter], ref: str) -> DeadLetter:
    """The dead letter at ``ref``: ``OFFSET``, or ``PARTITION:OFFSET`` where several
    partitions (or topics) hold that offset."""
    partition_text, _, offset_text = ref.rpartition(":")
    try:
        offset = int(offset_text)
        partition = int(partition_text) if partition_text else None
    except ValueError:
        raise LookupError(f"{ref!r} is no OFFSET nor PARTITION:OFFSET") from None
    found = [
        d for d in letters if d.offset == offset and (partition is None or d.partition == partition)
    ]
    if not found:
        raise LookupError(f"no dead letter at {ref}")
    if len(found) > 1:
        places = ", ".join(f"{d.topic} {d.at}" for d in found)
        raise LookupError(f"offset {ref} is ambiguous ({places}): give --topic or PARTITION:OFFSET")
    return found[0]


@dataclass(frozen=True)
class Redriven:
    letter: DeadLetter
    topic: str
    partition: int
    offset: int

    def summary(self) -> dict[str, Any]:
        return {
            "from": f"{self.letter.topic} {self.letter.at}",
            "to": f"{self.topic} {self.partition}:{self.offset}",
            "key": _text(self.letter.key),
            "reason": self.letter.reason,
        }


async def redrive(
    settings: kafka.KafkaSettings,
    letters: Sequence[DeadLetter],
    authorization: dict[str, str] | None = None,
) -> list[Redriven]:
    """Publish each dead letter again on its original topic, in the order given.
    ``authorization`` maps a topic to the authorization header its messages need (an
    intake checks every posting's token; the DLQ kept none)."""
    producer = kafka.producer(settings)
    await producer.start()
    sent = []
    try:
        for letter in letters:
            target = letter.source_topic
            header = (authorization or {}).get(target)
            meta = await producer.send_and_wait(
                target, letter.value, key=letter.key, headers=letter.redrive_headers(header)
            )
            sent.append(Redriven(letter, target, meta.partition, meta.offset))
    finally:
        await producer.stop()
    return sent


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode(errors="replace")


def _readable(raw: bytes) -> Any:
    """JSON objects and arrays parsed (events, problems), anything else as text."""
    text = raw.decode(errors="replace")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text
