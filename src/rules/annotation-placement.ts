import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const annotationPlacement: Rule<WorkloadSubject> = {
  id: "annotation-placement",
  summary: "Kuma annotations sit on the pod template, not on the controller's own metadata",
  defaultAction: "warn",
  targets: ["workload"],
  check() {
    return [];
  },
};
