// Table tests for the annotation-value rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, ruleContext, subjectOf } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { annotationValue as rule, checkAnnotationValues } from "../../src/rules/annotation-value.js";
import { kumaModelFor } from "../../src/kuma/versions/index.js";
import type { KumaModel } from "../../src/kuma/versions/index.js";
import type { RuleContext, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
sharedWorkloadRuleTests(rule, ["error", "error"]);

// Kuma: metadata/annotations.go (GetEnabled/GetBoolean/GetUint32/GetMap/GetDurationWithDefault), injector.go, pod_converter.go
const cases: { name: string; annotations: Record<string, string>; severities: string[] }[] = [
  { name: "drain time in Go syntax", annotations: { "kuma.io/sidecar-drain-time": "1m30s" }, severities: [] },
  { name: "drain time without unit", annotations: { "kuma.io/sidecar-drain-time": "10" }, severities: ["error"] },
  { name: "env vars map", annotations: { "kuma.io/sidecar-env-vars": "A=1;B=2" }, severities: [] },
  { name: "env vars trailing ;", annotations: { "kuma.io/sidecar-env-vars": "A=1;" }, severities: ["error"] },
  { name: "env vars empty value (GetMap fails on \"\")", annotations: { "kuma.io/sidecar-env-vars": "" }, severities: ["error"] },
  { name: "env var without a name", annotations: { "kuma.io/sidecar-env-vars": "=1" }, severities: ["error"] },
  { name: "concurrency", annotations: { "kuma.io/sidecar-proxy-concurrency": "2" }, severities: [] },
  { name: "concurrency negative", annotations: { "kuma.io/sidecar-proxy-concurrency": "-1" }, severities: ["error"] },
  { name: "admin port above 65535 (probe port invalid)", annotations: { "kuma.io/envoy-admin-port": "70000" }, severities: ["error"] },
  { name: "application probe proxy 0 disables", annotations: { "kuma.io/application-probe-proxy-port": "0" }, severities: [] },
  { name: "wait-for-dataplane-ready enabled", annotations: { "kuma.io/wait-for-dataplane-ready": "enabled" }, severities: [] },
  { name: "wait-for-dataplane-ready True", annotations: { "kuma.io/wait-for-dataplane-ready": "True" }, severities: ["error"] },
  { name: "iptables-logs enabled (GetBoolean)", annotations: { "traffic.kuma.io/iptables-logs": "enabled" }, severities: ["error"] },
  { name: "drop-invalid-packets true", annotations: { "traffic.kuma.io/drop-invalid-packets": "true" }, severities: [] },
  { name: "ip family ipv6 rejected", annotations: { "kuma.io/transparent-proxying-ip-family-mode": "ipv6" }, severities: ["error"] },
  { name: "envoy log level warn", annotations: { "kuma.io/envoy-log-level": "warn" }, severities: [] },
  { name: "envoy log level verbose", annotations: { "kuma.io/envoy-log-level": "verbose" }, severities: ["error"] },
  { name: "gateway enabled", annotations: { "kuma.io/gateway": "enabled" }, severities: [] },
  { name: "gateway provided", annotations: { "kuma.io/gateway": "provided" }, severities: ["advisory"] },
  { name: "gateway true (controller: invalid delegated gateway type)", annotations: { "kuma.io/gateway": "true" }, severities: ["error"] },
  { name: "gateway with virtual probes (and virtual probes are deprecated)", annotations: { "kuma.io/gateway": "enabled", "kuma.io/virtual-probes": "enabled" }, severities: ["error", "advisory"] },
  { name: "ingress public address without port", annotations: { "kuma.io/ingress-public-address": "1.2.3.4" }, severities: ["error"] },
  { name: "token volume missing", annotations: { "kuma.io/service-account-token-volume": "token" }, severities: ["error"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(severities(rule.check(deploymentWith(c.annotations), ctx)), c.severities));

test("Kuma wording for a bad duration", () => {
  const [finding] = rule.check(deploymentWith({ "kuma.io/sidecar-drain-time": "10" }), ctx);
  assert.match(finding?.message ?? "", /time: missing unit in duration "10"/);
});

const kuma = (version: string): KumaModel => {
  const found = kumaModelFor(version);
  if ("error" in found) throw new Error(found.error);
  return found.value;
};
const AGG = "prometheus.metrics.kuma.io/aggregate-";

// Kuma: controllers/pod_converter.go::MetricsAggregateFor and pod_converter_test.go "MetricsAggregateFor(..)
// should fail when" (v2.11.18, v2.13.10, v2.14.3: same code); 2.14 also logs every aggregate key as deprecated
// (webhooks/injector/precheck.go::logMetricsAggregateDeprecations).
const aggregateCases: { name: string; annotations: Record<string, string>; byVersion: Record<string, string[]> }[] = [
  {
    name: "Kuma's test: one aggregate with only a path (port needs to be specified)",
    annotations: { [`${AGG}my-app-path`]: "/stats", [`${AGG}my-app-2-port`]: "123" },
    byVersion: { "2.11": ["error"], "2.13": ["error"], "2.14": ["error", "advisory"] },
  },
  {
    name: "Kuma's test: a port that is not a number",
    annotations: { [`${AGG}my-app-2-path`]: "/stats", [`${AGG}my-app-2-port`]: "123a" },
    byVersion: { "2.11": ["error"], "2.13": ["error"], "2.14": ["error", "advisory"] },
  },
  {
    name: "disabled aggregate without a port is fine",
    annotations: { [`${AGG}sidecar-enabled`]: "false", [`${AGG}sidecar-path`]: "/metrics" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["advisory"] },
  },
  {
    name: "-enabled with a word GetEnabled rejects",
    annotations: { [`${AGG}app-enabled`]: "on", [`${AGG}app-port`]: "8080" },
    byVersion: { "2.11": ["error"], "2.13": ["error"], "2.14": ["error", "advisory"] },
  },
  {
    name: "-enabled takes Kuma's words: disabled",
    annotations: { [`${AGG}app-enabled`]: "disabled" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["advisory"] },
  },
  {
    name: "an aggregate named only by -address is not one Kuma sees",
    annotations: { [`${AGG}app-address`]: "10.0.0.1" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["advisory"] },
  },
  {
    name: "port and path: valid",
    annotations: { [`${AGG}app-port`]: "9100", [`${AGG}app-path`]: "/stats" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["advisory"] },
  },
];
for (const c of aggregateCases) {
  for (const [version, expected] of Object.entries(c.byVersion)) {
    test(`${version}: ${c.name}`, () => assert.deepEqual(severities(checkAnnotationValues(deploymentWith(c.annotations), kuma(version))), expected));
  }
}

test("Kuma's wording for an aggregate without a port", () => {
  const [finding] = checkAnnotationValues(deploymentWith({ [`${AGG}my-app-path`]: "/stats" }), kuma("2.13"));
  assert.match(finding?.message ?? "", /^port needs to be specified for metrics scraping/);
  assert.equal(finding?.path, `spec.template.metadata.annotations["${AGG}my-app-path"]`);
});

// Kuma: metadata/annotations.go::PodAnnotationDeprecations of each tag.
const deprecationCases: { name: string; annotations: Record<string, string>; byVersion: Record<string, RegExp[]> }[] = [
  {
    name: "virtual probes: deprecated in every supported minor",
    annotations: { "kuma.io/virtual-probes": "enabled" },
    byVersion: { "2.11": [/'kuma.io\/virtual-probes' will be removed in a future release; use kuma.io\/application-probe-proxy-port/], "2.14": [/will be removed/] },
  },
  {
    name: "virtual probes port: replaced by the application probe proxy port",
    annotations: { "kuma.io/virtual-probes-port": "9000" },
    byVersion: { "2.13": [/is being replaced by: 'kuma.io\/application-probe-proxy-port'/] },
  },
  {
    name: "prometheus port and path: deprecated from 2.14 only",
    annotations: { "prometheus.metrics.kuma.io/port": "9100", "prometheus.metrics.kuma.io/path": "/metrics" },
    byVersion: { "2.11": [], "2.13": [], "2.14": [/'prometheus.metrics.kuma.io\/port' is deprecated, use MeshMetric policy instead/, /'prometheus.metrics.kuma.io\/path' is deprecated/] },
  },
];
for (const c of deprecationCases) {
  for (const [version, expected] of Object.entries(c.byVersion)) {
    test(`${version}: ${c.name}`, () => {
      const findings = checkAnnotationValues(deploymentWith(c.annotations), kuma(version));
      assert.deepEqual(severities(findings), expected.map(() => "advisory"));
      expected.forEach((pattern, i) => assert.match(findings[i]!.message, pattern));
    });
  }
}

test("on an injected Pod the virtual-probes keys the injector wrote stay silent; prometheus keys the user wrote do not", () => {
  const pod = subjectOf({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-1",
      namespace: "shop",
      annotations: { "kuma.io/sidecar-injected": "true", "kuma.io/virtual-probes": "disabled", "kuma.io/virtual-probes-port": "9000", "prometheus.metrics.kuma.io/port": "9100" },
    },
    spec: { containers: [{ name: "web", image: "nginx" }] },
  }) as WorkloadSubject;
  const findings = checkAnnotationValues(pod, kuma("2.14"));
  assert.deepEqual(findings.map((f) => f.path), ['metadata.annotations["prometheus.metrics.kuma.io/port"]']);
});

test("the same virtual-probes annotation on a Pod that is not injected is the user's", () => {
  const pod = subjectOf({ apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "shop", annotations: { "kuma.io/virtual-probes": "disabled" } }, spec: { containers: [] } }) as WorkloadSubject;
  assert.deepEqual(severities(checkAnnotationValues(pod, kuma("2.11"))), ["advisory"]);
});

test("k8s.kuma.io/spire-support is read from 2.13: a bad value is an error there, an unknown key (not this rule's) on 2.11", () => {
  const subject = deploymentWith({ "k8s.kuma.io/spire-support": "on" });
  assert.deepEqual(severities(checkAnnotationValues(subject, kuma("2.11"))), []);
  assert.deepEqual(severities(checkAnnotationValues(subject, kuma("2.13"))), ["error"]);
});

test("the rule judges against the context's Kuma when it has one, else 2.14", () => {
  const subject = deploymentWith({ "prometheus.metrics.kuma.io/port": "9100" });
  assert.deepEqual(severities(rule.check(subject, ctx)), ["advisory"]);
  assert.deepEqual(severities(rule.check(subject, { ...ctx, kuma: kuma("2.13") } as RuleContext)), []);
});
