import { clip } from "../message.js";
import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";
import { toUint16 } from "./ports.js";

// traffic.kuma.io/exclude-outbound-ports-for-uids: `;`-separated entries
// `[<protocols>:][<ports>:]<uids>`. Kuma: pkg/transparentproxy/config/utils.go
// ::parseExcludePortsForUIDs (entries split by plain strings.Split in
// pkg/transparentproxy/kubernetes/kubernetes.go and kubernetes_config.go).

export type Protocol = "tcp" | "udp";

/** An inclusive range `from-to` (a single value has from === to). */
export interface ValueRange {
  from: number;
  to: number;
}

export interface UidExclusion {
  /** The entry as written. */
  text: string;
  protocols: readonly Protocol[];
  /** "all" for `*` or an empty ports part (Kuma uses 1-65535). */
  ports: ValueRange[] | "all";
  /** undefined when the uids part is empty: iptables then matches every owner, so ALL
   *  outbound traffic on those ports bypasses the proxy. */
  uids?: ValueRange;
}

const FORMAT = "Expected format: <protocol:>?<ports:>?<uids>";
const BLANK = /^\s*$/;

/** The entries, as Kuma accepts them (empty entries included, with `uids` undefined). */
export function parsePortsForUids(value: string): Parsed<UidExclusion[]> {
  const entries: UidExclusion[] = [];
  const error = forEachUidExclusion(value, (entry) => entries.push(entry));
  return error === undefined ? parsed(entries) : failed(error);
}

/**
 * Hands each entry to `visit` in order, and returns the error of the first one Kuma rejects
 * (the entries before it were visited). For callers that keep little of each entry: 256 KiB
 * holds ~20,000 entries, and keeping them all costs more in garbage collection than parsing.
 */
export function forEachUidExclusion(value: string, visit: (entry: UidExclusion) => void): string | undefined {
  for (const text of value.split(";")) {
    const entry = parseUidExclusion(text);
    if ("error" in entry) return entry.error;
    visit(entry.value);
  }
  return undefined;
}

/** One `[<protocols>:][<ports>:]<uids>` entry. Split by index, not by arrays: it runs once per entry. */
export function parseUidExclusion(text: string): Parsed<UidExclusion> {
  const first = text.indexOf(":");
  const second = first === -1 ? -1 : text.indexOf(":", first + 1);
  if (second !== -1 && text.includes(":", second + 1))
    return failed(`invalid format for excluding ports by UIDs: '${clip(text)}'. ${FORMAT}`);
  const protocolText = second === -1 ? "*" : text.slice(0, first);
  const portsText = first === -1 ? "*" : second === -1 ? text.slice(0, first) : text.slice(first + 1, second);
  const uidsRaw = first === -1 ? text : text.slice((second === -1 ? first : second) + 1);
  if (uidsRaw === "*") return failed(`wildcard '*' is not allowed for UIDs in '${clip(text)}'`);

  const protocols = parseProtocols(protocolText);
  if ("error" in protocols) return protocols;

  let ports: ValueRange[] | "all" = "all";
  if (portsText !== "*" && portsText !== "") {
    const list = parseRanges(portsText);
    if ("error" in list) return failed(`invalid port range in '${clip(text)}': ${list.error}`);
    if (list.value.length === 0) return failed(`invalid port range in '${clip(text)}': no ports (use * for all ports)`);
    ports = list.value;
  }

  if (uidsRaw.includes(",")) return failed(`invalid UID entry: '${clip(uidsRaw)}'. It should either be a single item or a range`);
  if (BLANK.test(uidsRaw)) return parsed({ text, protocols: protocols.value, ports });
  const uids = parseRange(uidsRaw);
  if ("error" in uids) return failed(`invalid UID range in '${clip(text)}': ${uids.error}`);
  return parsed({ text, protocols: protocols.value, ports, uids: uids.value });
}

/** Shared answers for the protocol lists almost every entry has: a 256 KiB value holds ~30,000 entries. */
const PARSED_TCP = parsed<readonly Protocol[]>(Object.freeze(["tcp"]));
const PARSED_UDP = parsed<readonly Protocol[]>(Object.freeze(["udp"]));
const PARSED_BOTH = parsed<readonly Protocol[]>(Object.freeze(["tcp", "udp"]));

/** Comma list of tcp/udp (trimmed, case-insensitive), `*` or empty for both. */
function parseProtocols(text: string): Parsed<readonly Protocol[]> {
  if (text === "" || text === "*") return PARSED_BOTH;
  if (text === "tcp") return PARSED_TCP;
  if (text === "udp") return PARSED_UDP;
  const out: Protocol[] = [];
  for (const item of text.split(",")) {
    if (BLANK.test(item)) continue;
    const protocol = item.trim().toLowerCase();
    if (protocol !== "tcp" && protocol !== "udp") return failed(`invalid or unsupported protocol: '${clip(item)}'`);
    if (!out.includes(protocol)) out.push(protocol);
  }
  if (out.length === 0) return failed(`no protocol in '${clip(text)}' (use tcp, udp or *)`);
  return parsed(out);
}

/** Comma list (not trimmed; blank items skipped as Kuma does) of values or `a-b` ranges, each uint16. */
function parseRanges(text: string): Parsed<ValueRange[]> {
  const out: ValueRange[] = [];
  for (const item of text.split(",")) {
    if (BLANK.test(item)) continue;
    const range = parseRange(item);
    if ("error" in range) return range;
    out.push(range.value);
  }
  return parsed(out);
}

/** `n` or `a-b`, each 0..65535 (Go strconv.ParseUint(s, 10, 16), so no spaces). */
function parseRange(text: string): Parsed<ValueRange> {
  const dash = text.indexOf("-");
  if (dash === -1) {
    const value = toUint16(text);
    return value === undefined ? failed(`invalid uint16 value: '${clip(text)}'`) : parsed({ from: value, to: value });
  }
  // Kuma lets `1-2-3` through, but it becomes `1:2:3` for iptables, which kuma-init rejects.
  if (text.includes("-", dash + 1)) return failed(`'${clip(text)}' is neither a value nor an a-b range`);
  const from = toUint16(text.slice(0, dash));
  const to = toUint16(text.slice(dash + 1));
  if (from === undefined) return failed(`invalid uint16 value: '${clip(text.slice(0, dash))}'`);
  if (to === undefined) return failed(`invalid uint16 value: '${clip(text.slice(dash + 1))}'`);
  return parsed({ from, to });
}

/** A range as Kuma's grammar writes it. */
export function rangeToString(range: ValueRange): string {
  return range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`;
}

/** An entry written back as `protocols:ports:uids` (the inverse of parseUidExclusion). */
export function uidExclusionToString(entry: Omit<UidExclusion, "text">): string {
  const protocols = entry.protocols.length === 2 ? "*" : entry.protocols.join(",");
  const ports = entry.ports === "all" ? "*" : entry.ports.map(rangeToString).join(",");
  return `${protocols}:${ports}:${entry.uids ? rangeToString(entry.uids) : ""}`;
}
