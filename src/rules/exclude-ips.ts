import type { Rule, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const excludeIps: Rule<WorkloadSubject> = {
  id: "exclude-ips",
  summary: "traffic.kuma.io/exclude-inbound-ips and exclude-outbound-ips are comma lists of IP addresses or CIDRs",
  defaultAction: "deny",
  targets: ["workload"],
  check() {
    return [];
  },
};
