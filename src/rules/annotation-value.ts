import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const annotationValue: Rule<WorkloadSubject> = {
  id: "annotation-value",
  summary: "Typed kuma.io and traffic.kuma.io annotations hold values Kuma can parse",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
