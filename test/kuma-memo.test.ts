import { test } from "node:test";
import assert from "node:assert/strict";
import { memoizeByText, ReviewMemo } from "../src/kuma/memo.js";
import { parseExcludePorts } from "../src/kuma/parsers/ports.js";

/** A parser that counts its calls. */
function counting<T>(parse: (text: string) => T) {
  const calls: string[] = [];
  const memoized = memoizeByText((text: string) => {
    calls.push(text);
    return parse(text);
  });
  return { memoized, calls };
}

test("memoizeByText parses a text once and hands back the same result", () => {
  const { memoized, calls } = counting((text) => ({ items: text.split(",") }));
  const first = memoized("a,b");
  assert.equal(memoized("a,b"), first);
  assert.deepEqual(memoized("c"), { items: ["c"] });
  assert.deepEqual(calls, ["a,b", "c"]);
});

test("memoizeByText remembers an undefined result (valid input often means no problem)", () => {
  const { memoized, calls } = counting((text) => (text === "ok" ? undefined : "bad"));
  assert.equal(memoized("ok"), undefined);
  assert.equal(memoized("ok"), undefined);
  assert.deepEqual(calls, ["ok"]);
});

test("memoizeByText parses values over 1 KiB every time, so large values cannot fill memory", () => {
  const { memoized, calls } = counting((text) => text.length);
  const long = "x".repeat(1025);
  memoized(long);
  memoized(long);
  assert.equal(calls.length, 2);
});

test("memoizeByText stays bounded: after 512 distinct values it starts over", () => {
  const { memoized, calls } = counting((text) => text);
  for (let i = 0; i < 512; i++) memoized(`v${i}`);
  memoized("v0"); // still held
  assert.equal(calls.length, 512);
  memoized("v512"); // full: cleared, then this one kept
  memoized("v1");
  assert.deepEqual(calls.slice(512), ["v512", "v1"]);
});

test("a memoized parser answers a repeated annotation value exactly as the first time", () => {
  const value = " 8080,,9090";
  const first = parseExcludePorts(value);
  assert.deepEqual(parseExcludePorts(value), first);
  assert.deepEqual(first, { value: { ports: [8080, 9090], padded: [" 8080"], empty: 1 } });
});

test("ReviewMemo computes a slot's value once per key, undefined included, and keeps slots apart", () => {
  const memo = new ReviewMemo();
  const subject = {};
  let computed = 0;
  const compute = () => {
    computed++;
    return undefined;
  };
  assert.equal(memo.get("chain", subject, compute), undefined);
  assert.equal(memo.get("chain", subject, compute), undefined);
  assert.equal(computed, 1);
  assert.equal(memo.get("simulation", subject, () => "other slot"), "other slot");
  assert.equal(memo.get("chain", {}, () => "another object"), "another object");
});

test("each review gets its own memo: a new one recomputes", () => {
  const subject = {};
  assert.equal(new ReviewMemo().get("chain", subject, () => 1), 1);
  assert.equal(new ReviewMemo().get("chain", subject, () => 2), 2);
});
