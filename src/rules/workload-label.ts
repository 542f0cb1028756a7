import { labelPath, WORKLOAD } from "../kuma/annotations.js";
import { error } from "./types.js";
import type { Rule, WorkloadSubject } from "./types.js";

// Kuma's pod validator denies the label on Pod CREATE/UPDATE.
// Kuma: pkg/plugins/runtime/k8s/webhooks/pod_validator.go.
export const workloadLabel: Rule<WorkloadSubject> = {
  id: "workload-label",
  summary: "The kuma.io/workload label is left to Kuma",
  defaultAction: "deny",
  targets: ["workload"],
  check(subject) {
    if (subject.template.labels[WORKLOAD] === undefined) return [];
    return [
      error(
        `cannot manually set ${WORKLOAD} label on Pod; it is automatically managed by Kuma. Remove the label from ${subject.kind === "Pod" ? "the pod" : "the pod template"}`,
        labelPath(subject.templatePath, WORKLOAD),
      ),
    ];
  },
};
