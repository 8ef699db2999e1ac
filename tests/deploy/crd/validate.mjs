// Validates Kubernetes custom resources against the schemas the operators publish, as
// compiled by kubernetes-models: Strimzi from its released CRDs (0.49.0 and 1.0.0),
// CloudNativePG from its Go API types (the source its CRDs are generated from).
// stdin: a JSON array of resources. stdout: a JSON array, one result per resource:
//   {kind, name, validator, errors}   validator null = no published schema known here.
import { Kafka } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/Kafka";
import { KafkaNodePool } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaNodePool";
import { KafkaTopic } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaTopic";
import { KafkaUser } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaUser";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup";
import { BarmanObjectStoreConfiguration } from "@kubernetes-models/cloudnative-pg/github.com/cloudnative-pg/barman-cloud/pkg/api/BarmanObjectStoreConfiguration";

const models = {
  "kafka.strimzi.io/v1/Kafka": Kafka,
  "kafka.strimzi.io/v1/KafkaNodePool": KafkaNodePool,
  "kafka.strimzi.io/v1/KafkaTopic": KafkaTopic,
  "kafka.strimzi.io/v1/KafkaUser": KafkaUser,
  "postgresql.cnpg.io/v1/Cluster": Cluster,
  "postgresql.cnpg.io/v1/ScheduledBackup": ScheduledBackup,
};

function check(model, data) {
  try {
    new model(data).validate();
    return [];
  } catch (error) {
    return (error.errors ?? [error]).map((e) => `${e.instancePath ?? ""} ${e.message}`.trim());
  }
}

function validate(resource) {
  const key = `${resource.apiVersion}/${resource.kind}`;
  const name = resource.metadata?.name;
  if (models[key]) {
    return { kind: resource.kind, name, validator: key, errors: check(models[key], resource) };
  }
  if (key === "barmancloud.cnpg.io/v1/ObjectStore") {
    // The plugin's own CRD is not published as a model; its spec.configuration is the
    // barman-cloud BarmanObjectStoreConfiguration type, which is.
    const errors = check(BarmanObjectStoreConfiguration, resource.spec?.configuration ?? {});
    return { kind: resource.kind, name, validator: "barman-cloud/BarmanObjectStoreConfiguration (spec.configuration)", errors };
  }
  return { kind: resource.kind, name, validator: null, errors: [] };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(validate)));
