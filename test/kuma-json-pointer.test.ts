import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatPointer, parsePointer, toArrayIndex, toLibraryTokens } from "../src/kuma/json-pointer.js";

const cases: { name: string; text: string; tokens?: string[] }[] = [
  { name: "whole document", text: "", tokens: [] },
  { name: "nested field", text: "/securityContext/privileged", tokens: ["securityContext", "privileged"] },
  { name: "escaped slash and tilde", text: "/a~1b/c~0d", tokens: ["a/b", "c~d"] },
  { name: "array append", text: "/env/-", tokens: ["env", "-"] },
  { name: "missing leading slash", text: "securityContext/privileged" },
  { name: "dangling tilde", text: "/a~" },
  { name: "tilde with another digit", text: "/a~2" },
];
for (const c of cases) {
  test(`parsePointer: ${c.name}`, () => {
    const result = parsePointer(c.text);
    if (c.tokens) assert.deepEqual(result, { value: c.tokens });
    else assert.ok("error" in result);
  });
}

// evanphx/json-patch v5 patch.go findObject: split on "/" and drop the first piece unchecked.
test("library tokens drop the first piece even without a leading slash", () => {
  assert.deepEqual(toLibraryTokens("securityContext/privileged"), ["privileged"]);
  assert.deepEqual(toLibraryTokens("/a~1b"), ["a/b"]);
});

// Go strconv.Atoi: optional sign, decimal digits.
test("array indices read like Go's Atoi", () => {
  assert.equal(toArrayIndex("3"), 3);
  assert.equal(toArrayIndex("-1"), -1);
  assert.equal(toArrayIndex("+2"), 2);
  assert.equal(toArrayIndex("-"), undefined);
  assert.equal(toArrayIndex("1a"), undefined);
});

test("formatted pointers parse back to their tokens; random text never throws", () => {
  fc.assert(fc.property(fc.array(fc.string()), (tokens) => assert.deepEqual(parsePointer(formatPointer(tokens)), { value: tokens })));
  fc.assert(fc.property(fc.string(), (text) => void parsePointer(text)));
});
