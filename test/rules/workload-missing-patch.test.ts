// workload-missing-patch: linear in the names, and never a denial for a name the catalog could
// not verify (issue 17: 8,000 names took 2.35 s; names over the live-lookup cap were denied).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { indexPatches, viewOf } from "../../src/catalog/types.js";
import { MAX_MESSAGE } from "../../src/kuma/message.js";
import { trimmedItems } from "../../src/kuma/parsers/list.js";
import { MAX_PATCH_NAMES } from "../../src/limits.js";
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

test("a thousand names: the message lists what fits and counts the rest", () => {
  const names = Array.from({ length: MAX_PATCH_NAMES }, (_, i) => `patch-${i}`);
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

test("past MAX_PATCH_NAMES names the rest are not read: too-many-names denies, and the catalog is asked about the first ones only", () => {
  const real = viewOf(indexPatches([{ name: "kept", namespace: "kuma-system", spec: {} }]), ["kuma-system"], true, () => true);
  let asked = 0;
  const catalog = { ...real, get: (n: string) => (asked++, real.get(n)) };
  const atLimit = Array.from({ length: MAX_PATCH_NAMES }, () => "kept");
  assert.deepEqual(codes(checkRule(rule, patches(atLimit), { catalog })), []);
  // 37,000 names, as many as a 256 KiB annotation holds; the one missing name comes last.
  const over = [...Array.from({ length: 37_000 }, () => "kept"), "gone"];
  asked = 0;
  const findings = checkRule(rule, patches(over), { catalog });
  assert.deepEqual(codes(findings), ["too-many-names"]);
  assert.equal(findings[0]?.path, 'spec.template.metadata.annotations["kuma.io/container-patches"]');
  assert.ok(asked <= MAX_PATCH_NAMES, `${asked} catalog lookups`);
});

test("trimmedItems with a limit reads the same items as a full split, only fewer", () => {
  const value = fc.string({ unit: fc.constantFrom("a", "b", " ", ",", "\t"), maxLength: 40 });
  fc.assert(
    fc.property(value, fc.integer({ min: 0, max: 12 }), (text, limit) => {
      const all = text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
      assert.deepEqual(trimmedItems(text), all);
      assert.deepEqual(trimmedItems(text, limit), all.slice(0, limit));
    }),
  );
});
