import {
  annotationPath,
  messageWithFix,
  TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS,
  TRAFFIC_EXCLUDE_OUTBOUND_TCP_PORTS_FOR_UIDS,
  TRAFFIC_EXCLUDE_OUTBOUND_UDP_PORTS_FOR_UIDS,
} from "../kuma/annotations.js";
import { fitMessage } from "../kuma/message.js";
import { parseLegacyPortsForUids } from "../kuma/parsers/legacy-ports-for-uids.js";
import type { Protocol } from "../kuma/parsers/ports-for-uids.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma <= 2.8 prefixed each `<ports>:<uids>` entry with tcp:/udp:
// (release-2.8 pkg/transparentproxy/kubernetes/kubernetes.go); Kuma 2.9 removed both
// annotations (PR #10983) and ignores them, though Kuma's docs still show them.
const LEGACY: readonly (readonly [string, Protocol])[] = [
  [TRAFFIC_EXCLUDE_OUTBOUND_TCP_PORTS_FOR_UIDS, "tcp"],
  [TRAFFIC_EXCLUDE_OUTBOUND_UDP_PORTS_FOR_UIDS, "udp"],
];

const CODES = {
  invalid: {
    when: "a legacy annotation's value is not `<ports>:<uid>` entries separated by `;`",
    params: { key: "the annotation key", value: "the annotation's value", reason: "what the parser rejects" },
  },
  ignored: {
    when: "a legacy annotation is set: Kuma 2.9+ ignores it, so nothing is excluded",
    params: { key: "the annotation key", fix: "the value for traffic.kuma.io/exclude-outbound-ports-for-uids that keeps its entries" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const excludePortsForUidsLegacy: Rule<WorkloadSubject, Code> = {
  id: "exclude-ports-for-uids-legacy",
  summary: "The tcp/udp-ports-for-uids annotations Kuma 2.9+ ignores are replaced by exclude-outbound-ports-for-uids",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const annotations = subject.template.annotations;
    const findings: RuleFinding<Code>[] = [];
    const converted: string[] = [];
    const present: { key: string; path: string }[] = [];
    for (const [key, protocol] of LEGACY) {
      const value = annotations[key];
      if (value === undefined) continue;
      const path = annotationPath(subject.templatePath, key);
      const result = parseLegacyPortsForUids(value, protocol);
      if ("error" in result) {
        findings.push(
          error(
            "invalid",
            fitMessage(`${key}: ${result.error}; the format is <ports>:<uid> entries separated by ";" (e.g. "443:1234")`),
            path,
            {
              key,
              value,
              reason: result.error,
            },
          ),
        );
        continue;
      }
      converted.push(...result.value.map((entry) => entry.text));
      present.push({ key, path });
    }
    if (present.length === 0) return findings;
    const existing = (annotations[TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS] ?? "").split(";").filter((entry) => entry !== "");
    // A Set, not existing.includes: both values may hold thousands of entries.
    const kept = new Set(existing);
    const replacement = [...existing, ...converted.filter((entry) => !kept.has(entry))].join(";");
    for (const { key, path } of present) {
      findings.push(
        advisory(
          "ignored",
          messageWithFix(
            `${key} is ignored since Kuma 2.9 (nothing excluded); `,
            replacement,
            `set ${TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS} with each entry as tcp:<ports>:<uids> (or udp:)`,
            `set ${TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS}: `,
          ),
          path,
          { key, fix: replacement },
        ),
      );
    }
    return findings;
  },
};
