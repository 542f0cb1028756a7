import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

// Go's time.ParseDuration, byte for byte: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0` alone
// (with an optional sign). Units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h. Kuma reads
// kuma.io/sidecar-drain-time with it (metadata/annotations.go::GetDurationWithDefault).
// Hand-written because JavaScript duration libraries (ms, parse-duration) accept other forms.

/** Nanoseconds per unit. Go: src/time/format.go unitMap. */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n],
  ["μs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);
/** 1<<63: Go's overflow bound for the accumulated magnitude. */
const LIMIT = 1n << 63n;
const NUMBER = /^([0-9]*)(?:\.([0-9]*))?/;
const UNIT = /^[^0-9.]+/;

/** Nanoseconds (negative allowed), or Go's exact error text. */
export function parseDuration(value: string): Parsed<bigint> {
  const invalid = failed<bigint>(`time: invalid duration ${quote(value)}`);
  let s = value;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return parsed(0n);
  if (s === "") return invalid;
  let total = 0n;
  while (s !== "") {
    const c = s[0] as string;
    if (!(c === "." || (c >= "0" && c <= "9"))) return invalid;
    const number = NUMBER.exec(s) as RegExpExecArray;
    const whole = number[1] as string;
    const fraction = number[2];
    if (whole === "" && !fraction) return invalid;
    const v = whole === "" ? 0n : BigInt(whole);
    if (v > LIMIT) return invalid; // Go's leadingInt overflow
    s = s.slice(number[0].length);
    const unitMatch = UNIT.exec(s);
    if (!unitMatch) return failed(`time: missing unit in duration ${quote(value)}`);
    const unitText = unitMatch[0];
    const unit = UNITS.get(unitText);
    if (unit === undefined) return failed(`time: unknown unit ${quote(unitText)} in duration ${quote(value)}`);
    s = s.slice(unitText.length);
    if (v > LIMIT / unit) return invalid;
    let ns = v * unit;
    if (fraction) {
      // Go keeps at most the digits that fit, then scales by float; truncate like Go does.
      const digits = fraction.slice(0, 18);
      ns += (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
      if (ns > LIMIT) return invalid;
    }
    total += ns;
    if (total > LIMIT) return invalid;
  }
  if (!negative && total > LIMIT - 1n) return invalid;
  return parsed(negative ? -total : total);
}

/** Go's time.quote: the text in double quotes (escapes only matter for odd input). */
function quote(text: string): string {
  return JSON.stringify(text);
}
