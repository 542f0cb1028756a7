import { clip } from "../message.js";
import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** The ports of an exclude-inbound/outbound-ports value, plus items Kuma CNI cannot read. */
export interface PortList {
  ports: number[];
  /** Items with surrounding whitespace: Kuma trims them, its legacy CNI conversion does not. */
  padded: string[];
  /** Empty items in a non-empty value (`80,,443`, trailing `,`): Kuma skips them, its legacy CNI
   *  validation fails on them (app/cni/pkg/cni/annotations_linux.go::parsePorts). */
  empty: number;
}

const DIGITS = /^[0-9]+$/;
const PADDED = /^\s|\s$/;

/**
 * traffic.kuma.io/exclude-inbound-ports / exclude-outbound-ports: comma list, items trimmed,
 * empty items skipped, each an integer 1–65535, no ranges. An empty value excludes nothing.
 * Kuma: pkg/transparentproxy/config/config.go::Ports.append, utils.go::parsePort.
 */
export function parseExcludePorts(value: string): Parsed<PortList> {
  const ports: number[] = [];
  const padded: string[] = [];
  let empty = 0;
  if (value.trim() === "") return parsed({ ports, padded, empty });
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") {
      empty++;
      continue;
    }
    const port = toPort(item);
    if (port === undefined) return failed(`value '${clip(item)}' is not a valid port (uint16 in the range [1, 65535])`);
    ports.push(port);
    if (PADDED.test(raw)) padded.push(raw);
  }
  return parsed({ ports, padded, empty });
}

/** Go's strconv.ParseUint(s, 10, 16) restricted to 1..65535; undefined otherwise. */
export function toPort(text: string): number | undefined {
  const n = toUint16(text);
  return n === undefined || n === 0 ? undefined : n;
}

/** Go's strconv.ParseUint(s, 10, 16): ASCII digits only, 0..65535. */
export function toUint16(text: string): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  // Leading zeros are fine for Go; a huge digit string becomes Infinity, still out of range.
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}
