import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const excludePortsForUids: Rule<WorkloadSubject> = {
  id: "exclude-ports-for-uids",
  summary: "traffic.kuma.io/exclude-outbound-ports-for-uids follows [protocols:][ports:]uids and never bypasses all traffic",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
