"""Sending many records at once: one Kafka record batch per partition, one acknowledgement each.

``producer.send`` costs a future, a partitioner call and a trip through the producer's
accumulator per record, and the batch it fills waits out the linger before it goes. The
relay has its whole batch in hand, so it builds the record batches itself and sends them
closed (no linger): what it waits for is one acknowledgement per partition. The partition
of a key is the one ``send`` would choose (the same partitioner over the same partition
list), so a stream's events stay on one partition whichever way they were sent.
"""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata

Headers = Sequence[tuple[str, bytes]]
Record = tuple[bytes, bytes, Headers]  # key, value, headers

_partitioner = DefaultPartitioner()  # the producer's own: kafka.producer sets no other


@dataclass(frozen=True)
class Written:
    """What one partition took: the offsets of its first and last records, and the last's
    value."""

    first: int
    last: int
    value: bytes


async def send_all(
    producer: AIOKafkaProducer, topic: str, records: Iterable[Record]
) -> dict[int, Written]:
    """Send ``records``, each partition's in the order given, and wait until the broker has
    acknowledged them all; what each partition took, by partition."""
    partitions = list(await producer.partitions_for(topic))  # listed as send() lists them
    chosen: dict[bytes, int] = {}
    filling: dict[int, list[BatchBuilder]] = {}
    last: dict[int, bytes] = {}
    for key, value, headers in records:
        partition = chosen.get(key)
        if partition is None:
            partition = chosen[key] = _partitioner(key, partitions, partitions)
        builders = filling.setdefault(partition, [])
        if not builders or not _append(builders[-1], key, value, headers):
            builders.append(producer.create_batch())
            _append(builders[-1], key, value, headers)  # a batch takes its first record
        last[partition] = value
    acknowledged: dict[int, list[asyncio.Future[RecordMetadata]]] = {}
    for partition, builders in filling.items():
        for builder in builders:
            builder.close()  # closed, the batch goes at once rather than after the linger
            sent = await producer.send_batch(builder, topic, partition=partition)
            acknowledged.setdefault(partition, []).append(sent)
    written = {}
    for partition, futures in acknowledged.items():
        acks = await asyncio.gather(*futures)
        end = acks[-1].offset + filling[partition][-1].record_count() - 1
        written[partition] = Written(acks[0].offset, end, last[partition])
    return written


def _append(builder: BatchBuilder, key: bytes, value: bytes, headers: Headers) -> bool:
    return builder.append(timestamp=None, key=key, value=value, headers=headers) is not None
