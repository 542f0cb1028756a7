// Kuma's scalar annotation grammars. Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseBoolean, parseEnabled } from "../src/kuma/parsers/boolean.js";
import { parseUint32 } from "../src/kuma/parsers/uint32.js";
import { parseMap } from "../src/kuma/parsers/map.js";
import { parseDuration } from "../src/kuma/parsers/duration.js";
import { ENVOY_LOG_LEVELS, parseComponentLogLevels, parseEnum } from "../src/kuma/parsers/enum.js";

const enabledCases = [
  { name: "enabled", value: "enabled", parsed: true },
  { name: "yes (deprecated)", value: "yes", parsed: true },
  { name: "disabled", value: "disabled", parsed: false },
  { name: "capitalised", value: "Enabled", parsed: undefined },
  { name: "on", value: "on", parsed: undefined },
];
for (const c of enabledCases)
  test(`GetEnabled: ${c.name}`, () =>
    assert.equal(
      "value" in parseEnabled(c.value) ? (parseEnabled(c.value) as { value: { value: boolean } }).value.value : undefined,
      c.parsed,
    ));
test("GetBoolean rejects enabled/disabled", () => {
  assert.ok("error" in parseBoolean("enabled"));
  assert.ok("error" in parseBoolean("disabled"));
  assert.ok("value" in parseBoolean("no"));
});

// Go strconv.ParseUint(v, 10, 32)
const uintCases = [
  { name: "zero", value: "0", result: { value: 0 } },
  { name: "max", value: "4294967295", result: { value: 4294967295 } },
  { name: "leading zeros", value: "007", result: { value: 7 } },
  { name: "overflow", value: "4294967296", result: { error: 'strconv.ParseUint: parsing "4294967296": value out of range' } },
  { name: "negative", value: "-1", result: { error: 'strconv.ParseUint: parsing "-1": invalid syntax' } },
  { name: "empty", value: "", result: { error: 'strconv.ParseUint: parsing "": invalid syntax' } },
];
for (const c of uintCases) test(`GetUint32: ${c.name}`, () => assert.deepEqual(parseUint32(c.value), c.result));

const mapCases = [
  { name: "two pairs", value: "A=1;B=2", ok: true },
  { name: "empty value is one empty pair", value: "", ok: false }, // Kuma: GetMapWithDefault splits "" into [""]
  { name: "empty key (Kuma accepts it)", value: "=1", ok: true },
  { name: "trailing ;", value: "A=1;", ok: false },
  { name: "= in value", value: "A=b=c", ok: false },
];
for (const c of mapCases) test(`GetMap: ${c.name}`, () => assert.equal("value" in parseMap(c.value), c.ok));

// Go time.ParseDuration (src/time/format.go)
const durationCases = [
  { name: "hours and minutes", value: "1h30m", ns: 5_400_000_000_000n },
  { name: "milliseconds", value: "300ms", ns: 300_000_000n },
  { name: "fraction", value: "1.5s", ns: 1_500_000_000n },
  { name: "negative", value: "-1s", ns: -1_000_000_000n },
  { name: "zero alone", value: "0", ns: 0n },
  { name: "signed zero", value: "+0", ns: 0n },
  { name: "micro sign", value: "2µs", ns: 2_000n },
  { name: "greek mu", value: "2μs", ns: 2_000n },
  { name: "leading dot", value: ".5s", ns: 500_000_000n },
  { name: "trailing dot", value: "1.s", ns: 1_000_000_000n },
  { name: "no unit", value: "10", error: 'time: missing unit in duration "10"' },
  { name: "unknown unit", value: "1d", error: 'time: unknown unit "d" in duration "1d"' },
  { name: "empty", value: "", error: 'time: invalid duration ""' },
  { name: "sign only", value: "-", error: 'time: invalid duration "-"' },
  { name: "dot only", value: ".s", error: 'time: invalid duration ".s"' },
  { name: "space", value: "1 s", error: 'time: unknown unit " s" in duration "1 s"' },
  { name: "overflow", value: "9999999999h", error: 'time: invalid duration "9999999999h"' },
];
for (const c of durationCases)
  test(`ParseDuration: ${c.name}`, () => assert.deepEqual(parseDuration(c.value), c.error ? { error: c.error } : { value: c.ns }));

test("enums are case-sensitive", () => {
  assert.ok("value" in parseEnum("warn", ENVOY_LOG_LEVELS));
  assert.ok("error" in parseEnum("WARN", ENVOY_LOG_LEVELS));
  assert.ok("value" in parseComponentLogLevels("upstream:debug,connection:trace"));
  assert.ok("error" in parseComponentLogLevels("upstream=debug"));
});

test("scalar parsers never throw", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      parseEnabled(s);
      parseBoolean(s);
      parseUint32(s);
      parseMap(s);
      parseDuration(s);
      parseComponentLogLevels(s);
    }),
  );
  fc.assert(fc.property(fc.stringMatching(/^[-+.0-9a-zµ]*$/), (s) => void parseDuration(s)));
});

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
test("printed durations parse back to the same nanoseconds", () => {
  const segment = fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...Object.keys(UNIT_NS)));
  fc.assert(
    fc.property(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 5 }), (negative, segments) => {
      const text = (negative ? "-" : "") + segments.map(([n, u]) => `${n}${u}`).join("");
      const total = segments.reduce((sum, [n, u]) => sum + BigInt(n) * (UNIT_NS[u] as bigint), 0n);
      assert.deepEqual(parseDuration(text), { value: negative ? -total : total });
    }),
  );
});

test("printed maps and uint32s parse back", () => {
  const word = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(word, fc.stringMatching(/^[a-z0-9]{0,6}$/)), { selector: ([k]) => k, minLength: 1 }), (pairs) => {
      const r = parseMap(pairs.map(([k, v]) => `${k}=${v}`).join(";"));
      assert.deepEqual("value" in r && [...r.value], pairs);
    }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 4294967295 }), (n) => assert.deepEqual(parseUint32(String(n)), { value: n })));
});

test("printed booleans and enums parse back", () => {
  const words = {
    enabled: [true, false],
    disabled: [false, false],
    true: [true, false],
    false: [false, false],
    yes: [true, true],
    no: [false, true],
  } as const;
  fc.assert(
    fc.property(fc.constantFrom(...(Object.keys(words) as (keyof typeof words)[])), (word) => {
      const [value, deprecated] = words[word];
      assert.deepEqual(parseEnabled(word), { value: { value, deprecated } });
      if (word !== "enabled" && word !== "disabled") assert.deepEqual(parseBoolean(word), { value: { value, deprecated } });
    }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...ENVOY_LOG_LEVELS), (level) => assert.deepEqual(parseEnum(level, ENVOY_LOG_LEVELS), { value: level })),
  );
});
