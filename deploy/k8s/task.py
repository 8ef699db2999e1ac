#!/usr/bin/env python3
"""Print a one-off Job that runs a command of a service in that service's own pod template
(same image, configuration, secrets, limits and security), e.g. replaying a projection:

    kubectl -n tuopin get deployment evaluation -o json \\
      | python3 deploy/k8s/task.py tuopin-evaluation rebuild evaluation.registered_households \\
      | kubectl -n tuopin create -f -

Standard library only. The Job's pods are labelled app.kubernetes.io/component=task: the
service's <service>-task NetworkPolicy lets them reach Kafka and the service's own database,
and no Service sends them traffic. Read the result with `kubectl logs job/<name>`.
"""

import copy
import json
import sys


def task(deployment: dict, command: list[str]) -> dict:
    name = deployment["metadata"]["name"]
    template = copy.deepcopy(deployment["spec"]["template"])
    labels = {**template["metadata"].get("labels", {}), "app.kubernetes.io/component": "task"}
    template["metadata"] = {"labels": labels}
    spec = template["spec"]
    spec["restartPolicy"] = "Never"
    spec.pop("topologySpreadConstraints", None)
    (container,) = spec["containers"]
    for field in ("ports", "startupProbe", "livenessProbe", "readinessProbe"):
        container.pop(field, None)
    container["name"] = "task"
    container["command"] = command
    metadata = {"generateName": f"{name}-task-", "labels": labels}
    if "namespace" in deployment["metadata"]:
        metadata["namespace"] = deployment["metadata"]["namespace"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 86400, "template": template},
    }


def main() -> None:
    if len(sys.argv) < 2 or sys.stdin.isatty():
        sys.exit(__doc__)
    json.dump(task(json.load(sys.stdin), sys.argv[1:]), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
