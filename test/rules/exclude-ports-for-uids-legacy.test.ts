// Table tests for the exclude-ports-for-uids-legacy rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import { excludePortsForUidsLegacy as rule } from "../../src/rules/exclude-ports-for-uids-legacy.js";
import { deploymentWith, loadFixture, ruleContext, subjectOf } from "../support/context.js";
import type { RuleFinding, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
const kinds = (findings: RuleFinding[]) => findings.map((f) => f.severity);
const pod = () => subjectOf(loadFixture("kuma-injected-pod.yaml")[0] as { kind: string }) as WorkloadSubject;

test("Kuma's own injected pod has no findings", () => assert.deepEqual(rule.check(pod(), ctx), []));
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;
test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(rule.check(fixture("workload-good.yaml"), ctx), []));
test("workload-bad.yaml", () => assert.deepEqual(kinds(rule.check(fixture("workload-bad.yaml"), ctx)), ["advisory"]));

// Kuma: release-2.8 pkg/transparentproxy/kubernetes/kubernetes.go; removed in 2.9 (PR #10983)
const TCP = "traffic.kuma.io/exclude-outbound-tcp-ports-for-uids";
const UDP = "traffic.kuma.io/exclude-outbound-udp-ports-for-uids";
const cases: { name: string; annotations: Record<string, string>; severities: string[] }[] = [
  { name: "documented example is ignored since 2.9", annotations: { [TCP]: "443:1234" }, severities: ["advisory"] },
  { name: "uid alone", annotations: { [TCP]: "1234" }, severities: ["error"] },
  { name: "trailing ;", annotations: { [UDP]: "53:1234;" }, severities: ["error"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(kinds(rule.check(deploymentWith(c.annotations), ctx)), c.severities));

const replacements: { name: string; annotations: Record<string, string>; replacement: string }[] = [
  { name: "tcp example", annotations: { [TCP]: "443:1234" }, replacement: "tcp:443:1234" },
  { name: "tcp and udp", annotations: { [TCP]: "443:1234", [UDP]: "53:1234" }, replacement: "tcp:443:1234;udp:53:1234" },
  { name: "merged with the existing value", annotations: { [TCP]: "443:1234", "traffic.kuma.io/exclude-outbound-ports-for-uids": "1000" }, replacement: "1000;tcp:443:1234" },
];
for (const c of replacements) {
  test(`replacement: ${c.name}`, () => {
    const [finding] = rule.check(deploymentWith(c.annotations), ctx);
    assert.ok(finding?.message.endsWith(`traffic.kuma.io/exclude-outbound-ports-for-uids: ${JSON.stringify(c.replacement)}`), finding?.message);
  });
}

// Totality: any mix of Kuma keys and short values never throws; every finding has a path
// and, with the rule id, fits a Kubernetes warning (256 characters).
const anyKey = fc.constantFrom(...KNOWN_ANNOTATIONS, "kuma.io/container-patch", "kuma.io/builtindns", "traffic.kuma.io/exclud-inbound-ports");
const anyValue = fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[a-z0-9:;,=.* -]{0,24}$/));
test("total over random annotations, labels and containers", () => {
  fc.assert(
    fc.property(
      fc.dictionary(anyKey, anyValue),
      fc.dictionary(fc.constantFrom("kuma.io/sidecar-injection", "kuma.io/workload", "kuma.io/mesh"), anyValue),
      fc.array(fc.record({ name: fc.string({ maxLength: 12 }), securityContext: fc.record({ runAsUser: fc.constantFrom(0, 1000, 5678) }) }), { maxLength: 3 }),
      (annotations, labels, containers) => {
        const subject = deploymentWith({ ...annotations }, { labels: { ...labels }, containers, securityContext: { runAsUser: 5678 } });
        (subject.meta as { annotations: Record<string, string> }).annotations = { ...annotations };
        for (const finding of rule.check(subject, ctx)) {
          assert.ok(finding.path, finding.message);
          assert.ok(`${rule.id}: ${finding.message}`.length <= 256, finding.message);
        }
      },
    ),
  );
});
