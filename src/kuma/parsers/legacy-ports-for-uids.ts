import { clip } from "../message.js";
import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";
import { parseUidExclusion } from "./ports-for-uids.js";
import type { Protocol, UidExclusion } from "./ports-for-uids.js";

// traffic.kuma.io/exclude-outbound-tcp-ports-for-uids / -udp-ports-for-uids (Kuma <= 2.8):
// split on `;`, each entry prefixed with `tcp:`/`udp:` and fed to the
// exclude-outbound-ports-for-uids grammar, so each must be exactly `<ports>:<uids>`.
// Kuma: release-2.8 pkg/transparentproxy/kubernetes/kubernetes.go::NewPodRedirectForPod.
// Removed in 2.9 (PR #10983): ignored since.

/**
 * The entries of a legacy value for `protocol`, each already as the
 * `<protocol>:<ports>:<uids>` entry exclude-outbound-ports-for-uids needs.
 */
export function parseLegacyPortsForUids(value: string, protocol: Protocol): Parsed<UidExclusion[]> {
  const entries: UidExclusion[] = [];
  for (const text of value.split(";")) {
    const parts = text.split(":");
    if (parts.length !== 2) return failed(`entry '${clip(text)}' is not <ports>:<uids>`);
    if ((parts[1] as string).trim() === "") return failed(`entry '${clip(text)}' has no uids (it would exclude the ports for every user)`);
    const entry = parseUidExclusion(`${protocol}:${text}`);
    if ("error" in entry) return entry;
    entries.push(entry.value);
  }
  return parsed(entries);
}
