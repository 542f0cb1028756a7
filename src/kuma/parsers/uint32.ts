import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

const DIGITS = /^[0-9]+$/;
const UINT32_MAX = 4294967295;

/**
 * Kuma's GetUint32 (Go strconv.ParseUint(v, 10, 32)): ASCII digits, 0..4294967295, no sign,
 * no spaces. The error is Go's, without Kuma's `failed to parse annotation "<key>": ` prefix.
 * Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetUint32WithDefault.
 */
export function parseUint32(value: string): Parsed<number> {
  if (!DIGITS.test(value)) return failed(`strconv.ParseUint: parsing ${goQuote(value)}: invalid syntax`);
  // Leading zeros are allowed by Go, so compare by value, not by length.
  const n = Number(value);
  if (n > UINT32_MAX) return failed(`strconv.ParseUint: parsing ${goQuote(value)}: value out of range`);
  return parsed(n);
}

/** Go's %q / strconv.Quote for the common cases: JSON string syntax is close enough for messages. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}
