import { annotationPath, TRAFFIC_EXCLUDE_INBOUND_IPS, TRAFFIC_EXCLUDE_OUTBOUND_IPS } from "../kuma/annotations.js";
import { parseExcludeIps } from "../kuma/parsers/ips.js";
import { error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForIPs, validateIP (kuma-init
// or ConfigMap mode); app/cni/pkg/cni/annotations_linux.go::validateIPs (CNI: an empty
// value or empty item fails the pod sandbox).
const KEYS = [TRAFFIC_EXCLUDE_INBOUND_IPS, TRAFFIC_EXCLUDE_OUTBOUND_IPS] as const;

const CODES = {
  invalid: {
    when: "the value is not a comma list of IP addresses or CIDRs (or has an empty item, which Kuma CNI fails on); the pod fails to start",
    params: { key: "the annotation key", value: "the annotation's value", reason: "what Kuma's parser rejects" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const excludeIps: Rule<WorkloadSubject, Code> = {
  id: "exclude-ips",
  summary: "traffic.kuma.io/exclude-inbound-ips and exclude-outbound-ips are comma lists of IP addresses or CIDRs",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const findings: RuleFinding<Code>[] = [];
    for (const key of KEYS) {
      const value = subject.template.annotations[key];
      if (value === undefined) continue;
      const result = parseExcludeIps(value);
      if ("error" in result) {
        findings.push(
          error("invalid", `${key}: ${result.error}; the pod fails to start`, annotationPath(subject.templatePath, key), {
            key,
            value,
            reason: result.error,
          }),
        );
      }
    }
    return findings;
  },
};
