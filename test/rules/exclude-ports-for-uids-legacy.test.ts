// Table tests for the exclude-ports-for-uids-legacy rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
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
