import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const excludePorts: Rule<WorkloadSubject> = {
  id: "exclude-ports",
  summary: "traffic.kuma.io/exclude-inbound-ports and exclude-outbound-ports are comma lists of ports 1-65535",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
