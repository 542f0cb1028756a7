import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const workloadLabel: Rule<WorkloadSubject> = {
  id: "workload-label",
  summary: "The kuma.io/workload label is left to Kuma",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
