// Table tests for the sidecar-injection rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule, subjectOf } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import type { WorkloadSubject } from "../../src/rules/types.js";
import { sidecarInjection as rule } from "../../src/rules/sidecar-injection.js";

sharedWorkloadRuleTests(rule, ["error"]);

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
for (const c of cases) test(c.name, () => assert.deepEqual(severities(checkRule(rule, c.subject() as WorkloadSubject)), c.severities));

test("the annotation advisory shows the label to use", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/sidecar-injection": "enabled" }));
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.labels: \{kuma\.io\/sidecar-injection: "enabled"\}/);
});

// With the namespace's labels known (a cluster view, or a Namespace in check's input).
// Kuma: charts cp-webhooks-and-secrets.yaml (namespace-kuma-injector, pods-kuma-injector).
const inNamespace: { name: string; pod: string; namespace: Record<string, string> | undefined; message: RegExp | undefined }[] = [
  { name: "template true in a namespace labelled enabled", pod: "true", namespace: { "kuma.io/sidecar-injection": "enabled" }, message: undefined },
  { name: "template enabled in a namespace labelled disabled", pod: "enabled", namespace: { "kuma.io/sidecar-injection": "disabled" }, message: undefined },
  { name: "template true in a namespace labelled disabled", pod: "true", namespace: { "kuma.io/sidecar-injection": "disabled" }, message: /namespace shop is labelled "disabled", where Kuma's injector webhook is called only for pods labelled exactly "enabled"/ },
  { name: "template enabled in a namespace without the label", pod: "enabled", namespace: {}, message: /namespace shop has no kuma.io\/sidecar-injection label/ },
  { name: "template true in an unknown namespace", pod: "true", namespace: undefined, message: undefined },
];
for (const c of inNamespace) {
  test(c.name, () => {
    const subject = deploymentWith({}, { labels: { "kuma.io/sidecar-injection": c.pod } });
    const findings = checkRule(rule, subject, c.namespace ? { namespaces: { shop: c.namespace } } : {});
    if (c.message === undefined) return assert.deepEqual(findings, []);
    assert.deepEqual(severities(findings), ["error"]);
    assert.match(findings[0]!.message, c.message);
  });
}
