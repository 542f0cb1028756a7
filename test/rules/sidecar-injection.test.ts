// Table tests for the sidecar-injection rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule, subjectOf } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import type { WorkloadSubject } from "../../src/rules/types.js";
import { sidecarInjection as rule } from "../../src/rules/sidecar-injection.js";

sharedWorkloadRuleTests(rule, ["invalid-value"]);

// Kuma: metadata/annotations.go::GetBooleanWithDefault, injector/precheck.go, charts cp-webhooks-and-secrets.yaml
const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}) =>
  subjectOf({ kind: "Namespace", metadata: { name: "shop", labels, annotations } });
const cases = [
  { name: "template label enabled", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "enabled" } }), codes: [] },
  { name: "template label true", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "true" } }), codes: [] },
  {
    name: "template label capitalised",
    subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "Enabled" } }),
    codes: ["invalid-value"],
  },
  {
    name: "template label on",
    subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "on" } }),
    codes: ["invalid-value"],
  },
  {
    name: "template label yes (deprecated)",
    subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "yes" } }),
    codes: ["deprecated"],
  },
  {
    name: "template label no (deprecated)",
    subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "no" } }),
    codes: ["deprecated"],
  },
  {
    name: "set as a template annotation (ignored)",
    subject: () => deploymentWith({ "kuma.io/sidecar-injection": "enabled" }),
    codes: ["pod-annotation"],
  },
  { name: "namespace enabled", subject: () => ns({ "kuma.io/sidecar-injection": "enabled" }), codes: [] },
  { name: "namespace yes: webhook selector skips it", subject: () => ns({ "kuma.io/sidecar-injection": "yes" }), codes: ["namespace-yes"] },
  { name: "namespace invalid word", subject: () => ns({ "kuma.io/sidecar-injection": "TRUE" }), codes: ["invalid-value"] },
  { name: "namespace annotation", subject: () => ns({}, { "kuma.io/sidecar-injection": "enabled" }), codes: ["namespace-annotation"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, c.subject() as WorkloadSubject)), c.codes));

test("the annotation advisory shows the label to use", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/sidecar-injection": "enabled" }));
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.labels: \{kuma\.io\/sidecar-injection: "enabled"\}/);
});

// With the namespace's labels known (a cluster view, or a Namespace in check's input).
// Kuma: charts cp-webhooks-and-secrets.yaml (namespace-kuma-injector, pods-kuma-injector).
const inNamespace: { name: string; pod: string; namespace: Record<string, string> | undefined; codes: string[]; message?: RegExp }[] = [
  { name: "template true in a namespace labelled enabled", pod: "true", namespace: { "kuma.io/sidecar-injection": "enabled" }, codes: [] },
  {
    name: "template enabled in a namespace labelled disabled",
    pod: "enabled",
    namespace: { "kuma.io/sidecar-injection": "disabled" },
    codes: [],
  },
  {
    name: "template true in a namespace labelled disabled",
    pod: "true",
    namespace: { "kuma.io/sidecar-injection": "disabled" },
    codes: ["namespace-not-selecting"],
    message: /namespace shop is labelled "disabled", where Kuma's injector webhook is called only for pods labelled exactly "enabled"/,
  },
  {
    name: "template enabled in a namespace without the label",
    pod: "enabled",
    namespace: {},
    codes: ["namespace-unlabelled"],
    message: /namespace shop has no kuma.io\/sidecar-injection label/,
  },
  { name: "template true in an unknown namespace", pod: "true", namespace: undefined, codes: [] },
];
for (const c of inNamespace) {
  test(c.name, () => {
    const subject = deploymentWith({}, { labels: { "kuma.io/sidecar-injection": c.pod } });
    const findings = checkRule(rule, subject, c.namespace ? { namespaces: { shop: c.namespace } } : {});
    assert.deepEqual(codes(findings), c.codes);
    if (c.message) assert.match(findings[0]!.message, c.message);
  });
}
