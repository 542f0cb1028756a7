import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const excludePortsForUidsLegacy: Rule<WorkloadSubject> = {
  id: "exclude-ports-for-uids-legacy",
  summary: "The tcp/udp-ports-for-uids annotations Kuma 2.9+ ignores are replaced by exclude-outbound-ports-for-uids",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
