import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareQuantities, parseQuantity } from "../src/kuma/quantity.js";

// Kubernetes: apimachinery/pkg/api/resource/quantity.go (ParseQuantity) and suffix.go.
const valid: { name: string; text: string; value: number }[] = [
  { name: "millicores", text: "100m", value: 0.1 },
  { name: "plain integer", text: "2", value: 2 },
  { name: "binary Ki", text: "1Ki", value: 1024 },
  { name: "binary Mi", text: "64Mi", value: 64 * 2 ** 20 },
  { name: "binary Gi", text: "1Gi", value: 2 ** 30 },
  { name: "binary Ti", text: "1Ti", value: 2 ** 40 },
  { name: "binary Pi", text: "1Pi", value: 2 ** 50 },
  { name: "binary Ei", text: "1Ei", value: 2 ** 60 },
  { name: "nano", text: "5n", value: 5e-9 },
  { name: "micro", text: "5u", value: 5e-6 },
  { name: "kilo (lower-case k)", text: "3k", value: 3000 },
  { name: "mega", text: "50M", value: 50e6 },
  { name: "giga", text: "1G", value: 1e9 },
  { name: "tera", text: "1T", value: 1e12 },
  { name: "peta", text: "1P", value: 1e15 },
  { name: "exa (E alone is a suffix, not an exponent)", text: "1E", value: 1e18 },
  { name: "decimal exponent e", text: "1e3", value: 1000 },
  { name: "decimal exponent E", text: "1E3", value: 1000 },
  { name: "negative exponent", text: "5e-3", value: 0.005 },
  { name: "signed exponent", text: "2e+2", value: 200 },
  { name: "fraction", text: "0.5", value: 0.5 },
  { name: "fraction with suffix", text: "1.5Gi", value: 1.5 * 2 ** 30 },
  { name: "leading dot (quantity.go accepts it)", text: ".5", value: 0.5 },
  { name: "trailing dot (quantity.go accepts it)", text: "1.", value: 1 },
  { name: "plus sign", text: "+1", value: 1 },
  { name: "minus sign", text: "-1m", value: -0.001 },
  { name: "below a nano rounds up to a nano", text: "0.1n", value: 1e-9 },
];
for (const c of valid) {
  test(`parses ${c.name}: ${c.text}`, () => assert.deepEqual(parseQuantity(c.text), { value: c.value }));
}

const invalid: { name: string; text: string }[] = [
  { name: "empty", text: "" },
  { name: "capital K is not a suffix", text: "1K" },
  { name: "word", text: "lots" },
  { name: "space inside", text: "1 Gi" },
  { name: "two dots", text: "1.2.3" },
  { name: "bare e", text: "1e" },
  { name: "suffix only", text: "Mi" },
  { name: "unknown binary suffix", text: "1Zi" },
  { name: "suffix then digits", text: "1m3" },
  { name: "sign only", text: "-" },
  { name: "lower-case binary", text: "1mi" },
];
for (const c of invalid) {
  test(`rejects ${c.name}: ${JSON.stringify(c.text)}`, () => assert.ok("error" in parseQuantity(c.text)));
}

test("compares by value across suffixes", () => {
  assert.deepEqual(compareQuantities("1Gi", "1G"), { value: 1 });
  assert.deepEqual(compareQuantities("100m", "0.1"), { value: 0 });
  assert.deepEqual(compareQuantities("512Mi", "1Gi"), { value: -1 });
  assert.deepEqual(compareQuantities("1e3", "1k"), { value: 0 });
  assert.ok("error" in compareQuantities("1Gi", "big"));
});

test("random strings never throw", () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(..."0123456789.+-eEinumkKMGTPi xZ".split("")), maxLength: 12 }), (s) => {
      parseQuantity(s);
      compareQuantities(s, "1");
    }),
  );
  fc.assert(fc.property(fc.string(), (s) => void parseQuantity(s)));
});

test("printed valid quantities parse back to their value", () => {
  const suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"];
  const factor: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
  };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...suffixes), fc.boolean(), (n, suffix, negative) => {
      const text = `${negative ? "-" : ""}${n}${suffix}`;
      const result = parseQuantity(text);
      assert.ok("value" in result, text);
      const expected = (negative ? -1 : 1) * n * factor[suffix]!;
      assert.ok(Math.abs(result.value - expected) <= Math.abs(expected) * 1e-12 + 1e-9, `${text}: ${result.value} vs ${expected}`);
      assert.deepEqual(compareQuantities(text, text), { value: 0 });
    }),
  );
});
