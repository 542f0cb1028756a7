import type { Rule, ContainerPatchSubject, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchApply: Rule<ContainerPatchSubject | WorkloadSubject> = {
  id: "patch-apply",
  summary: "Patches apply to the containers Kuma renders, in Kuma's order",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  check() {
    return [];
  },
};
