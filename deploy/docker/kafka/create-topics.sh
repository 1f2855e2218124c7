#!/bin/sh
# Creates the Coulisse topics (auto-creation is disabled on the broker). Idempotent.
# Runs in the apache/kafka image: the kafka-init service of docker-compose.yml.
#   KAFKA_BOOTSTRAP           broker to talk to              (default kafka:9092)
#   TOPIC_PARTITIONS          partitions per topic            (default 6)
#   TOPIC_REPLICATION_FACTOR  1 on one broker, 3 on a cluster (default 1)
#   TOPIC_MIN_INSYNC_REPLICAS 1 on one broker, 2 on a cluster (default 1)
# Retention is unlimited: the reporting service rebuilds its read models from the topics, and
# a dead-lettered event must stay until someone has dealt with it.
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-6}"
REPLICATION="${TOPIC_REPLICATION_FACTOR:-1}"
MIN_ISR="${TOPIC_MIN_INSYNC_REPLICAS:-1}"
KAFKA_TOPICS=/opt/kafka/bin/kafka-topics.sh

# Business events, one topic per publishing service; then one dead-letter topic per consumer group.
TOPICS="customer.events billing.events collections.events accounting.events billing.dlq collections.dlq accounting-gateway.dlq reporting.dlq"

tries=0
until "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "kafka-init: broker $BOOTSTRAP not reachable" >&2
        exit 1
    fi
    sleep 2
done

for topic in $TOPICS; do
    "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION" \
        --config retention.ms=-1 --config min.insync.replicas="$MIN_ISR"
done

"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --describe --topics-with-overrides
