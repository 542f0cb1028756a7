import { annotationPath, quote, TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS } from "../kuma/annotations.js";
import { parsePortsForUids } from "../kuma/parsers/ports-for-uids.js";
import { error } from "./types.js";
import type { Rule, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForUIDs. An entry with no
// uids passes Kuma's validation and becomes an iptables RETURN rule without an owner
// match, so every process's outbound traffic on those ports bypasses the proxy
// (pkg/transparentproxy/iptables/builder/builder_table_nat.go).
const KEY = TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS;

export const excludePortsForUids: Rule<WorkloadSubject> = {
  id: "exclude-ports-for-uids",
  summary: "traffic.kuma.io/exclude-outbound-ports-for-uids follows [protocols:][ports:]uids and never bypasses all traffic",
  defaultAction: "deny",
  targets: ["workload"],
  check(subject) {
    const value = subject.template.annotations[KEY];
    if (value === undefined) return [];
    const path = annotationPath(subject.templatePath, KEY);
    const result = parsePortsForUids(value);
    if ("error" in result) {
      return [error(`${KEY}: ${result.error}; kuma-init fails. Format: [tcp|udp:][ports:]uid, ";" between entries`, path)];
    }
    const findings: RuleFinding[] = [];
    const entries = result.value;
    if (entries.some((entry) => entry.text === "")) {
      const fixed = entries.filter((entry) => entry.text !== "").map((entry) => entry.text).join(";");
      findings.push(
        error(
          `${KEY} ${quote(value)} has an empty entry (e.g. a trailing ;): iptables then lets ALL outbound traffic bypass the proxy; ` +
            (fixed ? `write ${JSON.stringify(fixed)}` : "remove the annotation"),
          path,
        ),
      );
    }
    for (const entry of entries) {
      if (entry.text === "" || entry.uids !== undefined) continue;
      findings.push(
        error(`${KEY} entry ${quote(entry.text)} has no uid: iptables then lets every process's traffic on those ports bypass the proxy; add the uid or range`, path),
      );
    }
    return findings;
  },
};
