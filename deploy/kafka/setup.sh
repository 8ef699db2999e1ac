#!/usr/bin/env bash
# Sets up Tuopin's Kafka for docker compose, idempotently: topics, then one SCRAM-SHA-512
# user per service with exactly its ACLs. Runs as a one-shot in the apache/kafka image,
# signed in as the super user `admin` ($COMMAND_CONFIG, made by make-tls.sh).
#
# Topics:
#   each name in $TOPICS         event topic, $PARTITIONS partitions, retention.ms=-1: the log
#                                is the system's history and is never deleted;
#   each name in $INTAKE_TOPICS  partners' postings, $PARTITIONS partitions, kept
#                                $SHORT_RETENTION_MS (30 days): a posting carries a clear
#                                resident-ID number, and once taken it is in the service's
#                                event store;
#   and each "<topic>.dlq"       its dead letters, $DLQ_PARTITIONS partitions, also kept
#                                $SHORT_RETENTION_MS: a copy of an event (names, health) or of
#                                a posting, re-driven or replayed within that time.
#   Short-lived topics roll a segment a day, so nothing outlives its retention by more.
# Users ($USERS, each "tuopin-<service>" with the password in $<SERVICE>_PASSWORD), and the
# ACLs that let each do what the service does and nothing more (the same rule as
# deploy/k8s/base/kafka/users.yaml; tests/deploy checks both against the services):
#   its own event topic ($<SERVICE>_TOPIC): Describe, Read, Write; its .dlq: Describe;
#   each topic it consumes ($<SERVICE>_READS): Describe, Read; its .dlq: Describe, Read, Write;
#   its intake ($<SERVICE>_INTAKE): Describe, Read, Write (re-drive); its .dlq: the same;
#   each consumer group it joins ($<SERVICE>_GROUPS): Describe, Read.
# Partitions can be raised later with kafka-topics.sh --alter (deploy/README.md, "Scaling"),
# never lowered. Kubernetes uses KafkaTopic and KafkaUser resources instead.
set -euo pipefail

: "${BOOTSTRAP_SERVERS:?set BOOTSTRAP_SERVERS, e.g. kafka:9092}"
: "${COMMAND_CONFIG:?set COMMAND_CONFIG, the admin client configuration}"
: "${TOPICS:?set TOPICS, the event topics separated by spaces}"
INTAKE_TOPICS="${INTAKE_TOPICS:-}"
USERS="${USERS:-}"
PARTITIONS="${PARTITIONS:-6}"
DLQ_PARTITIONS="${DLQ_PARTITIONS:-1}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
SHORT_RETENTION_MS="${SHORT_RETENTION_MS:-2592000000}"  # 30 days
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

admin() {  # tool args…
    local tool="$1"
    shift
    "$KAFKA_BIN/$tool" --bootstrap-server "$BOOTSTRAP_SERVERS" --command-config "$COMMAND_CONFIG" "$@"
}

create() {  # name partitions retention.ms
    local extra=()
    if [[ "$3" != -1 ]]; then
        extra=(--config segment.ms=86400000)
    fi
    admin kafka-topics.sh --create --if-not-exists \
        --topic "$1" --partitions "$2" --replication-factor "$REPLICATION_FACTOR" \
        --config "retention.ms=$3" --config retention.bytes=-1 --config cleanup.policy=delete \
        "${extra[@]}"
}

allow() {  # user resource-option name operation…
    local user="$1" kind="$2" name="$3"
    shift 3
    local operations=()
    for operation in "$@"; do
        operations+=(--operation "$operation")
    done
    admin kafka-acls.sh --add --allow-principal "User:$user" --allow-host '*' \
        "$kind" "$name" --resource-pattern-type literal "${operations[@]}"
}

for topic in $TOPICS; do
    create "$topic" "$PARTITIONS" -1
    create "$topic.dlq" "$DLQ_PARTITIONS" "$SHORT_RETENTION_MS"
done
for topic in $INTAKE_TOPICS; do
    create "$topic" "$PARTITIONS" "$SHORT_RETENTION_MS"
    create "$topic.dlq" "$DLQ_PARTITIONS" "$SHORT_RETENTION_MS"
done

for service in $USERS; do
    upper="${service^^}"
    password_var="${upper}_PASSWORD" topic_var="${upper}_TOPIC" reads_var="${upper}_READS"
    intake_var="${upper}_INTAKE" groups_var="${upper}_GROUPS"
    : "${!password_var:?set $password_var}"
    user="tuopin-$service"
    admin kafka-configs.sh --alter --entity-type users --entity-name "$user" \
        --add-config "SCRAM-SHA-512=[iterations=8192,password=${!password_var}]"
    if [[ -n "${!topic_var:-}" ]]; then
        allow "$user" --topic "${!topic_var}" Describe Read Write
        allow "$user" --topic "${!topic_var}.dlq" Describe
    fi
    for topic in ${!reads_var:-}; do
        allow "$user" --topic "$topic" Describe Read
        allow "$user" --topic "$topic.dlq" Describe Read Write
    done
    if [[ -n "${!intake_var:-}" ]]; then
        allow "$user" --topic "${!intake_var}" Describe Read Write
        allow "$user" --topic "${!intake_var}.dlq" Describe Read Write
    fi
    for group in ${!groups_var:-}; do
        allow "$user" --group "$group" Describe Read
    done
done

admin kafka-topics.sh --list
