import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const sidecarUid: Rule<WorkloadSubject> = {
  id: "sidecar-uid",
  summary: "Application containers do not run as the sidecar's UID 5678",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
