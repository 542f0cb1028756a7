// Table tests for the sidecar-injection rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import { sidecarInjection as rule } from "../../src/rules/sidecar-injection.js";
import { deploymentWith, loadFixture, ruleContext, subjectOf } from "../support/context.js";
import type { RuleFinding, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
const kinds = (findings: RuleFinding[]) => findings.map((f) => f.severity);
const pod = () => subjectOf(loadFixture("kuma-injected-pod.yaml")[0] as { kind: string }) as WorkloadSubject;

test("Kuma's own injected pod has no findings", () => assert.deepEqual(rule.check(pod(), ctx), []));
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;
test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(rule.check(fixture("workload-good.yaml"), ctx), []));
test("workload-bad.yaml", () => assert.deepEqual(kinds(rule.check(fixture("workload-bad.yaml"), ctx)), ["error"]));

// Kuma: metadata/annotations.go::GetBooleanWithDefault, injector/precheck.go, charts cp-webhooks-and-secrets.yaml
const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}) => subjectOf({ kind: "Namespace", metadata: { name: "shop", labels, annotations } });
const cases = [
  { name: "template label enabled", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "enabled" } }), severities: [] },
  { name: "template label true", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "true" } }), severities: [] },
  { name: "template label capitalised", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "Enabled" } }), severities: ["error"] },
  { name: "template label on", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "on" } }), severities: ["error"] },
  { name: "template label yes (deprecated)", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "yes" } }), severities: ["advisory"] },
  { name: "template label no (deprecated)", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "no" } }), severities: ["advisory"] },
  { name: "set as a template annotation (ignored)", subject: () => deploymentWith({ "kuma.io/sidecar-injection": "enabled" }), severities: ["advisory"] },
  { name: "namespace enabled", subject: () => ns({ "kuma.io/sidecar-injection": "enabled" }), severities: [] },
  { name: "namespace yes: webhook selector skips it", subject: () => ns({ "kuma.io/sidecar-injection": "yes" }), severities: ["advisory"] },
  { name: "namespace invalid word", subject: () => ns({ "kuma.io/sidecar-injection": "TRUE" }), severities: ["error"] },
  { name: "namespace annotation", subject: () => ns({}, { "kuma.io/sidecar-injection": "enabled" }), severities: ["advisory"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(kinds(rule.check(c.subject() as WorkloadSubject, ctx)), c.severities));

test("the annotation advisory shows the label to use", () => {
  const [finding] = rule.check(deploymentWith({ "kuma.io/sidecar-injection": "enabled" }), ctx);
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.labels: \{kuma\.io\/sidecar-injection: "enabled"\}/);
});

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
