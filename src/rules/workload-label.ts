import { labelPath, WORKLOAD } from "../kuma/annotations.js";
import { error } from "./types.js";
import type { Rule, RuleCodes, WorkloadSubject } from "./types.js";

const CODES = {
  "manual-label": { when: "the pod or pod template sets kuma.io/workload, which Kuma's pod validator denies" },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma's pod validator denies the label on Pod CREATE/UPDATE.
// Kuma: pkg/plugins/runtime/k8s/webhooks/pod_validator.go.
export const workloadLabel: Rule<WorkloadSubject, Code> = {
  id: "workload-label",
  summary: "The kuma.io/workload label is left to Kuma",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    if (subject.template.labels[WORKLOAD] === undefined) return [];
    return [
      error(
        "manual-label",
        `cannot manually set ${WORKLOAD} label on Pod; it is automatically managed by Kuma. Remove the label from ${subject.kind === "Pod" ? "the pod" : "the pod template"}`,
        labelPath(subject.templatePath, WORKLOAD),
      ),
    ];
  },
};
