import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const directAccess: Rule<WorkloadSubject> = {
  id: "direct-access",
  summary: "kuma.io/direct-access-services entries are exact kuma.io/service names",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
