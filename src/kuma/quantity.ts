import { failed, parsed } from "./parse-result.js";
import type { Parsed } from "./parse-result.js";

// Kubernetes resource.Quantity, parsed the way the API server parses it.
// Kubernetes: staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go (ParseQuantity,
// parseQuantityString) and suffix.go (the suffix table).
// Hand-written: client-node's quantityToScalar (internal) throws on "1.5k", takes "0x10" and rounds "1m" to a float.

/** The expression the API server names in its error (quantity.go splitREString). */
export const QUANTITY_REGEX_TEXT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
const SPLIT = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** The error the API server returns for a string that is not a quantity. */
const FORMAT_WRONG = `quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`;

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Beyond 10^40 base units every quantity is "huge": far above int64, where Kubernetes caps. */
const MAX_DIGITS = 40;

/** An exact quantity: sign × nanos (base units × 10^9, rounded up like Kubernetes does). */
interface ExactQuantity {
  negative: boolean;
  nanos: bigint;
}

/** A quantity read once: its value in base units, and an exact form for comparing (compareQuantity). */
export interface Quantity {
  /** Base units (cores, bytes): "100m" → 0.1, "1Ki" → 1024. */
  value: number;
  /** Signed nanos of a base unit, capped far above int64: compares exactly. */
  nanos: bigint;
}

/** `text` as a Kubernetes quantity, in base units (cores, bytes): "100m" → 0.1, "1Ki" → 1024. */
export function parseQuantity(text: string): Parsed<number> {
  const quantity = readQuantity(text);
  return "error" in quantity ? quantity : parsed(quantity.value.value);
}

/** `text` as a Kubernetes quantity, kept exact for comparisons. */
export function readQuantity(text: string): Parsed<Quantity> {
  const exact = parseExact(text);
  if ("error" in exact) return exact;
  const magnitude = exact.value.nanos >= HUGE ? Infinity : Number(exact.value.nanos) / 1e9;
  return parsed({ value: exact.value.negative && magnitude !== 0 ? -magnitude : magnitude, nanos: signed(exact.value) });
}

/** Compares two quantities read by readQuantity (-1, 0, 1), exactly. */
export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Compares two quantities by value (-1, 0, 1), exactly (no floating point); an error names the bad one. */
export function compareQuantities(a: string, b: string): Parsed<-1 | 0 | 1> {
  const left = parseExact(a);
  if ("error" in left) return failed(`"${a}": ${left.error}`);
  const right = parseExact(b);
  if ("error" in right) return failed(`"${b}": ${right.error}`);
  const l = signed(left.value);
  const r = signed(right.value);
  return parsed(l < r ? -1 : l > r ? 1 : 0);
}

/** True when `text` parses as a quantity. */
export function isQuantity(text: string): boolean {
  return "value" in parseExact(text);
}

const HUGE = 10n ** BigInt(MAX_DIGITS + 9);

function signed(q: ExactQuantity): bigint {
  return q.negative ? -q.nanos : q.nanos;
}

function parseExact(text: string): Parsed<ExactQuantity> {
  if (typeof text !== "string" || text.length === 0) return failed(FORMAT_WRONG);
  const match = SPLIT.exec(text);
  if (!match) return failed(FORMAT_WRONG);
  const [, sign = "", whole = "", fraction = "", suffix = ""] = match;
  // quantity.go accepts "1." and ".5"; a number part needs at least a digit or a dot.
  if (whole === "" && fraction === "" && !text.slice(sign.length).startsWith(".")) return failed(FORMAT_WRONG);

  let exponent10: number;
  let exponent2 = 0;
  if (suffix in DECIMAL_SUFFIXES) exponent10 = DECIMAL_SUFFIXES[suffix]!;
  else if (suffix in BINARY_SUFFIXES) {
    exponent10 = 0;
    exponent2 = BINARY_SUFFIXES[suffix]!;
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    // suffix.go interpret: strconv.ParseInt of what follows e/E.
    const value = Number(suffix.slice(1));
    if (!Number.isSafeInteger(value) || Math.abs(value) > 2 ** 31) return failed("unable to parse quantity's suffix");
    exponent10 = value;
  } else return failed("unable to parse quantity's suffix");

  const digits = (whole + fraction).replace(/^0+/, "");
  const negative = sign === "-";
  if (digits === "") return parsed({ negative: false, nanos: 0n });
  // value = digits × 10^(exponent10 - len(fraction)) × 2^exponent2, in nanos: × 10^9.
  const scale = exponent10 - fraction.length + 9;
  const magnitudeDigits = digits.length + scale + Math.ceil(exponent2 * Math.log10(2));
  if (magnitudeDigits > MAX_DIGITS + 9) return parsed({ negative, nanos: HUGE });
  let nanos = BigInt(digits) << BigInt(exponent2);
  if (scale >= 0) nanos *= 10n ** BigInt(scale);
  else if (-scale > digits.length + 20)
    nanos = 1n; // far below a nano: Kubernetes rounds up
  else {
    const divisor = 10n ** BigInt(-scale);
    nanos = (nanos + divisor - 1n) / divisor; // round up to the nano (quantity.go: inf.RoundUp)
  }
  return parsed({ negative, nanos: nanos > HUGE ? HUGE : nanos });
}
