#!/usr/bin/env bash
# Creates Tuopin's topics on Apache Kafka, idempotently (--if-not-exists), then lists them.
#   each name in $TOPICS      event topic, $PARTITIONS partitions, retention.ms=-1: the log is
#                             the system's history and is never deleted;
#   and each "<topic>.dlq"    its dead-letter topic, $DLQ_PARTITIONS partitions, also kept
#                             forever (a dead letter is never dropped silently).
# The compose file runs it as a one-shot in the apache/kafka image; Kubernetes uses KafkaTopic
# resources instead (deploy/k8s/base/kafka/topics.yaml). Partitions can be raised later with
# kafka-topics.sh --alter (see deploy/README.md, "Scaling"), never lowered.
set -euo pipefail

: "${BOOTSTRAP_SERVERS:?set BOOTSTRAP_SERVERS, e.g. kafka:9092}"
: "${TOPICS:?set TOPICS, the event topics separated by spaces}"
PARTITIONS="${PARTITIONS:-6}"
DLQ_PARTITIONS="${DLQ_PARTITIONS:-1}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

create() {  # name partitions
    "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --create --if-not-exists \
        --topic "$1" --partitions "$2" --replication-factor "$REPLICATION_FACTOR" \
        --config retention.ms=-1 --config retention.bytes=-1 --config cleanup.policy=delete
}

for topic in $TOPICS; do
    create "$topic" "$PARTITIONS"
    create "$topic.dlq" "$DLQ_PARTITIONS"
done
"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --list
