import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const annotationUnknown: Rule<WorkloadSubject> = {
  id: "annotation-unknown",
  summary: "Every kuma.io and traffic.kuma.io annotation key is one Kuma reads",
  defaultAction: "warn",
  targets: ["workload"],
  check() {
    return [];
  },
};
