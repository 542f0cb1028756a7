import { annotationPath, messageWithFixOrRemoval, quote, TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS } from "../kuma/annotations.js";
import { fitMessage } from "../kuma/message.js";
import { forEachUidExclusion } from "../kuma/parsers/ports-for-uids.js";
import { error, pushItemFinding } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForUIDs. An entry with no
// uids passes Kuma's validation and becomes an iptables RETURN rule without an owner
// match, so every process's outbound traffic on those ports bypasses the proxy
// (pkg/transparentproxy/iptables/builder/builder_table_nat.go).
const KEY = TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS;

const CODES = {
  invalid: {
    when: "the value does not follow Kuma's grammar (a uid list, a uid above 65535, a wildcard uid, a bad protocol or port); kuma-init fails",
    params: { value: "the annotation's value", reason: "what Kuma's parser rejects" },
  },
  "empty-entry": {
    when: "an entry is empty (a trailing or doubled `;`, or an empty value): iptables lets all outbound traffic bypass the proxy",
    params: { value: "the annotation's value", fix: 'the value without empty entries ("" when nothing is left)' },
  },
  "no-uid": {
    when: "an entry has ports but no uid: every process's traffic on those ports bypasses the proxy",
    params: { entry: "the entry" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const excludePortsForUids: Rule<WorkloadSubject, Code> = {
  id: "exclude-ports-for-uids",
  summary: "traffic.kuma.io/exclude-outbound-ports-for-uids follows [protocols:][ports:]uids and never bypasses all traffic",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const value = subject.template.annotations[KEY];
    if (value === undefined) return [];
    const path = annotationPath(subject.templatePath, KEY);
    // One pass that keeps only what is reported: the findings for entries without a uid (messages
    // only for those shown), and whether an entry is empty (a 256 KiB value holds ~20,000 entries).
    let empty = false;
    const noUid: RuleFinding<Code>[] = [];
    const invalid = forEachUidExclusion(value, (entry) => {
      if (entry.text === "") empty = true;
      else if (entry.uids === undefined) pushItemFinding(noUid, () => noUidFinding(path, entry.text));
    });
    if (invalid !== undefined) {
      return [
        error("invalid", fitMessage(`${KEY}: ${invalid}; kuma-init fails. Format: [tcp|udp:][ports:]uid, ";" between entries`), path, {
          value,
          reason: invalid,
        }),
      ];
    }
    const findings: RuleFinding<Code>[] = [];
    if (empty) {
      const fixed = value
        .split(";")
        .filter((text) => text !== "")
        .join(";");
      findings.push(
        error(
          "empty-entry",
          messageWithFixOrRemoval(
            `${KEY} ${quote(value)} has an empty entry (e.g. a trailing ;): iptables then lets ALL outbound traffic bypass the proxy; `,
            fixed,
            "remove the empty entries",
          ),
          path,
          { value, fix: fixed },
        ),
      );
    }
    findings.push(...noUid);
    return findings;
  },
};

function noUidFinding(path: string, entry: string): RuleFinding<Code> {
  return error(
    "no-uid",
    `${KEY} entry ${quote(entry)} has no uid: iptables then lets every process's traffic on those ports bypass the proxy; add the uid or range`,
    path,
    { entry },
  );
}
