import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const workloadPatchList: Rule<WorkloadSubject> = {
  id: "workload-patch-list",
  summary: "kuma.io/container-patches is a comma list of exact names, without padding",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
