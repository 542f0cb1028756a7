import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const workloadMissingPatch: Rule<WorkloadSubject> = {
  id: "workload-missing-patch",
  summary: "Every ContainerPatch a workload references exists in the control-plane namespace",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
