// Every ContainerPatch rule is total: any spec (null, strings, numbers, odd blocks) and any
// annotation in, findings out — never a throw, every finding with a path, a code (and params)
// its rule declares, and short enough to survive as a Kubernetes warning (the API server cuts
// at 256 characters).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { catalogOf, deploymentWith } from "../support/context.js";
import type { TestInputs } from "../support/context.js";
import { assertDeclared } from "../support/workload-rule.js";
import { findingsOf, PATCH_RULES, patchSubject, stored } from "./patch-support.js";

const pointer = fc.oneof(
  fc.constantFrom(
    "/securityContext/privileged",
    "/env/-",
    "/env/0",
    "/args/-1",
    "/resources/limits/cpu",
    "",
    "/",
    "//",
    "a/b",
    "/a~2",
    "/securityContext",
  ),
  fc
    .array(fc.constantFrom("securityContext", "resources", "env", "0", "-", "-1", "5", "x", ""), { maxLength: 4 })
    .map((t) => "/" + t.join("/")),
  fc.string(),
  fc.string({ minLength: 200, maxLength: 400 }).map((t) => "/" + t),
);
const jsonText = fc.oneof(fc.constantFrom("true", '"100m"', "{}", "[]", "null", "100m", "", '{"a":', "0", '["x"]'), fc.json());
const block = fc.oneof(
  fc.record(
    {
      op: fc.oneof(fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "Add"), fc.anything()),
      path: fc.oneof(pointer, fc.anything()),
      value: fc.oneof(jsonText, fc.anything()),
      from: fc.oneof(pointer, fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const spec = fc.oneof(
  fc.record(
    {
      sidecarPatch: fc.oneof(fc.array(block, { maxLength: 5 }), fc.anything()),
      initPatch: fc.oneof(fc.array(block, { maxLength: 5 }), fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

/** The finding's full code is `<rule-id>/<key>` with a key its rule declares. */
function assertCodeDeclared(f: ReturnType<typeof findingsOf>[number]) {
  const rule = PATCH_RULES.find((r) => r.id === f.ruleId);
  assert.ok(rule && f.code.startsWith(`${f.ruleId}/`), f.code);
  assertDeclared(rule.codes, { ...f, code: f.code.slice(f.ruleId.length + 1) });
}

function assertWellFormed(findings: ReturnType<typeof findingsOf>) {
  for (const f of findings) {
    assertCodeDeclared(f);
    assert.equal(typeof f.path, "string", `${f.ruleId} has no path: ${f.message}`);
    assert.ok(`${f.ruleId}: ${f.message}`.length <= 256, `too long: ${f.ruleId}: ${f.message}`);
  }
}

test("any ContainerPatch spec: no throw, paths set, messages fit a warning", () => {
  fc.assert(
    fc.property(spec, fc.constantFrom("kuma-system", "default"), (s, namespace) =>
      assertWellFormed(findingsOf(patchSubject(s, { namespace }))),
    ),
    { numRuns: 400 },
  );
});

test("any catalog and annotation on a workload: no throw", () => {
  fc.assert(
    fc.property(
      fc.array(spec, { maxLength: 3 }),
      fc.oneof(
        fc.string(),
        fc.array(fc.string({ minLength: 20 }), { maxLength: 30 }).map((a) => a.join(",")),
      ),
      fc.boolean(),
      (specs, annotation, configured) => {
        const names = specs.map((_, i) => `p${i}`);
        const inputs: TestInputs = {
          catalog: configured ? catalogOf(specs.map((s, i) => stored(`p${i}`, s as never))) : { configured: false, get: () => undefined },
        };
        const findings = findingsOf(deploymentWith({ "kuma.io/container-patches": [...names, annotation].join(",") }), inputs);
        for (const f of findings) {
          assert.ok(f.message.length > 0 && f.message.length <= 230, f.message);
          assertCodeDeclared(f);
        }
      },
    ),
    { numRuns: 200 },
  );
});
