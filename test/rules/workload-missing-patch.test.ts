// workload-missing-patch: linear in the names, and never a denial for a name the catalog could
// not verify (issue 17: 8,000 names took 2.35 s; names over the live-lookup cap were denied).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { indexPatches, viewOf } from "../../src/catalog/types.js";
import { MAX_MESSAGE } from "../../src/kuma/message.js";
import { goQuotedWithin, workloadMissingPatch as rule } from "../../src/rules/workload-missing-patch.js";
import { checkRule, deploymentWith } from "../support/context.js";
import { codes } from "../support/workload-rule.js";

const patches = (names: string[]) => deploymentWith({ "kuma.io/container-patches": names.join(",") });

test("a name the catalog knows is missing is denied; one it cannot verify only warns", () => {
  const catalog = viewOf(new Map(), ["kuma-system"], true, (_namespace, name) => name === "gone");
  const findings = checkRule(rule, patches(["gone", "unchecked"]), { catalog });
  assert.deepEqual(codes(findings), ["missing", "unverified"]);
  assert.match(findings[0]?.message ?? "", /missing: \["gone"\]/);
  assert.match(findings[1]?.message ?? "", /not verified: .*\["unchecked"\]/);
});

test("8,000 names: the message lists what fits and counts the rest", () => {
  const names = Array.from({ length: 8000 }, (_, i) => `patch-${i}`);
  const [finding] = checkRule(rule, patches(names));
  assert.ok((finding?.message.length ?? 0) <= MAX_MESSAGE);
  assert.match(finding?.message ?? "", /\["patch-0" "patch-1" .*\.\.\.\] \(\+\d+ more\)/);
});

const quoted = (names: string[]) => `[${names.map((n) => JSON.stringify(n)).join(" ")}]`;

test("goQuotedWithin shows the longest prefix that fits, as the quadratic search did", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 300 }),
      (names, room) => {
        const shown = goQuotedWithin(names, room);
        let expected = `[${names.length} names]`;
        if (quoted(names).length <= room) expected = quoted(names);
        else {
          for (let count = names.length - 1; count >= 1; count--) {
            const candidate = `${quoted(names.slice(0, count)).slice(0, -1)} ...] (+${names.length - count} more)`;
            if (candidate.length <= room) {
              expected = candidate;
              break;
            }
          }
        }
        assert.equal(shown, expected);
      },
    ),
  );
});

test("property: the catalog is asked about each distinct name at most twice, whatever the annotation and defaults hold", () => {
  const name = fc.constantFrom("a", "b", "c", "kept", " a", "");
  fc.assert(
    fc.property(fc.array(name, { maxLength: 60 }), fc.array(name, { maxLength: 4 }), (annotated, defaults) => {
      const real = viewOf(indexPatches([{ name: "kept", namespace: "kuma-system", spec: {} }]), ["kuma-system"], true, () => false);
      let asked = 0;
      const catalog = { ...real, get: (n: string) => (asked++, real.get(n)), verified: (n: string) => (asked++, real.verified(n)) };
      const settings = { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: defaults };
      checkRule(rule, patches(annotated), { catalog, settings });
      const distinct = new Set([...defaults, ...annotated].map((n) => n.trim()).filter((n) => n !== "")).size;
      assert.ok(asked <= 2 * distinct, `${asked} lookups for ${distinct} names`);
    }),
  );
});

test("a missing default patch is said to come from the control plane, unless the annotation names it too", () => {
  const settings = { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: ["base"] };
  const remark = /some come from the control plane's default patches/;
  const [alone] = checkRule(rule, patches(["extra"]), { settings });
  assert.match(alone?.message ?? "", remark);
  const [named] = checkRule(rule, patches(["base"]), { settings });
  assert.doesNotMatch(named?.message ?? "", remark);
});
