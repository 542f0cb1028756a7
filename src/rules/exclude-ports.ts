import {
  annotationPath,
  messageWithFix,
  quote,
  TRAFFIC_EXCLUDE_INBOUND_PORTS,
  TRAFFIC_EXCLUDE_OUTBOUND_PORTS,
} from "../kuma/annotations.js";
import { fitMessage } from "../kuma/message.js";
import { parseExcludePorts } from "../kuma/parsers/ports.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma: pkg/transparentproxy/config/config.go::Ports.append, utils.go::parsePort (kuma-init
// fails with Init:Error, or the pod is rejected in ConfigMap mode); the legacy CNI
// conversion does not trim (app/cni/pkg/cni/injector_linux.go) and its validation fails on
// empty items (app/cni/pkg/cni/annotations_linux.go::parsePorts).
const KEYS = [TRAFFIC_EXCLUDE_INBOUND_PORTS, TRAFFIC_EXCLUDE_OUTBOUND_PORTS] as const;

const CODES = {
  invalid: {
    when: "the value is not a comma list of ports 1-65535 (a range, a name, 0 or above 65535); kuma-init fails",
    params: { key: "the annotation key", value: "the annotation's value", reason: "what Kuma's parser rejects" },
  },
  "cni-format": {
    when: "the list has spaces or empty items: kuma-init accepts it but Kuma CNI fails on it",
    params: { key: "the annotation key", value: "the annotation's value", fix: "the list without them" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const excludePorts: Rule<WorkloadSubject, Code> = {
  id: "exclude-ports",
  summary: "traffic.kuma.io/exclude-inbound-ports and exclude-outbound-ports are comma lists of ports 1-65535",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const findings: RuleFinding<Code>[] = [];
    for (const key of KEYS) {
      const value = subject.template.annotations[key];
      if (value === undefined) continue;
      const path = annotationPath(subject.templatePath, key);
      const result = parseExcludePorts(value);
      if ("error" in result) {
        findings.push(
          error(
            "invalid",
            fitMessage(
              `${key} ${quote(value)}: ${result.error}; kuma-init fails. Use a comma list of ports 1-65535, no ranges (e.g. "80,443")`,
            ),
            path,
            { key, value, reason: result.error },
          ),
        );
      } else if (result.value.padded.length > 0 || result.value.empty > 0) {
        const what = result.value.padded.length > 0 ? "spaces" : "empty items";
        const fixed = result.value.ports.join(",");
        findings.push(
          advisory(
            "cni-format",
            messageWithFix(
              `${key} ${quote(value)} has ${what}, which Kuma CNI fails on; `,
              fixed,
              "write the ports without spaces or empty items",
            ),
            path,
            { key, value, fix: fixed },
          ),
        );
      }
    }
    return findings;
  },
};
