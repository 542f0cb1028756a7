// Table tests for the annotation-value rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule, subjectOf } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { annotationValue as rule, checkAnnotationValues } from "../../src/rules/annotation-value.js";
import { kumaModelFor } from "../../src/kuma/versions/index.js";
import type { KumaModel } from "../../src/kuma/versions/index.js";
import type { WorkloadSubject } from "../../src/rules/types.js";

sharedWorkloadRuleTests(rule, ["invalid-boolean", "invalid-duration"]);

// Kuma: metadata/annotations.go (GetEnabled/GetBoolean/GetUint32/GetMap/GetDurationWithDefault), injector.go, pod_converter.go
const cases: { name: string; annotations: Record<string, string>; codes: string[] }[] = [
  { name: "drain time in Go syntax", annotations: { "kuma.io/sidecar-drain-time": "1m30s" }, codes: [] },
  { name: "drain time without unit", annotations: { "kuma.io/sidecar-drain-time": "10" }, codes: ["invalid-duration"] },
  { name: "env vars map", annotations: { "kuma.io/sidecar-env-vars": "A=1;B=2" }, codes: [] },
  { name: "env vars trailing ;", annotations: { "kuma.io/sidecar-env-vars": "A=1;" }, codes: ["invalid-map"] },
  { name: 'env vars empty value (GetMap fails on "")', annotations: { "kuma.io/sidecar-env-vars": "" }, codes: ["invalid-map"] },
  { name: "env var without a name", annotations: { "kuma.io/sidecar-env-vars": "=1" }, codes: ["map-empty-name"] },
  { name: "concurrency", annotations: { "kuma.io/sidecar-proxy-concurrency": "2" }, codes: [] },
  { name: "concurrency negative", annotations: { "kuma.io/sidecar-proxy-concurrency": "-1" }, codes: ["invalid-uint32"] },
  {
    name: "admin port above 65535 (probe port invalid)",
    annotations: { "kuma.io/envoy-admin-port": "70000" },
    codes: ["port-out-of-range"],
  },
  { name: "application probe proxy 0 disables", annotations: { "kuma.io/application-probe-proxy-port": "0" }, codes: [] },
  { name: "wait-for-dataplane-ready enabled", annotations: { "kuma.io/wait-for-dataplane-ready": "enabled" }, codes: [] },
  { name: "wait-for-dataplane-ready True", annotations: { "kuma.io/wait-for-dataplane-ready": "True" }, codes: ["invalid-enabled"] },
  { name: "iptables-logs enabled (GetBoolean)", annotations: { "traffic.kuma.io/iptables-logs": "enabled" }, codes: ["invalid-boolean"] },
  { name: "drop-invalid-packets true", annotations: { "traffic.kuma.io/drop-invalid-packets": "true" }, codes: [] },
  { name: "ip family ipv6 rejected", annotations: { "kuma.io/transparent-proxying-ip-family-mode": "ipv6" }, codes: ["invalid-ip-family"] },
  { name: "envoy log level warn", annotations: { "kuma.io/envoy-log-level": "warn" }, codes: [] },
  { name: "envoy log level verbose", annotations: { "kuma.io/envoy-log-level": "verbose" }, codes: ["invalid-log-level"] },
  { name: "gateway enabled", annotations: { "kuma.io/gateway": "enabled" }, codes: [] },
  { name: "gateway provided", annotations: { "kuma.io/gateway": "provided" }, codes: ["gateway-provided"] },
  {
    name: "gateway true (controller: invalid delegated gateway type)",
    annotations: { "kuma.io/gateway": "true" },
    codes: ["invalid-gateway"],
  },
  {
    name: "gateway with virtual probes",
    annotations: { "kuma.io/gateway": "enabled", "kuma.io/virtual-probes": "enabled" },
    codes: ["gateway-virtual-probes", "deprecated"],
  },
  {
    name: "ingress public address without port",
    annotations: { "kuma.io/ingress-public-address": "1.2.3.4" },
    codes: ["ingress-public-half"],
  },
  { name: "token volume missing", annotations: { "kuma.io/service-account-token-volume": "token" }, codes: ["missing-token-volume"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith(c.annotations))), c.codes));

test("Kuma wording for a bad duration", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/sidecar-drain-time": "10" }));
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
    byVersion: { "2.11": ["aggregate-no-port"], "2.13": ["aggregate-no-port"], "2.14": ["aggregate-no-port", "deprecated"] },
  },
  {
    name: "Kuma's test: a port that is not a number",
    annotations: { [`${AGG}my-app-2-path`]: "/stats", [`${AGG}my-app-2-port`]: "123a" },
    byVersion: { "2.11": ["aggregate-port"], "2.13": ["aggregate-port"], "2.14": ["aggregate-port", "deprecated"] },
  },
  {
    name: "disabled aggregate without a port is fine",
    annotations: { [`${AGG}sidecar-enabled`]: "false", [`${AGG}sidecar-path`]: "/metrics" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["deprecated"] },
  },
  {
    name: "-enabled with a word GetEnabled rejects",
    annotations: { [`${AGG}app-enabled`]: "on", [`${AGG}app-port`]: "8080" },
    byVersion: { "2.11": ["aggregate-enabled"], "2.13": ["aggregate-enabled"], "2.14": ["aggregate-enabled", "deprecated"] },
  },
  {
    name: "-enabled takes Kuma's words: disabled",
    annotations: { [`${AGG}app-enabled`]: "disabled" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["deprecated"] },
  },
  {
    name: "an aggregate named only by -address is not one Kuma sees",
    annotations: { [`${AGG}app-address`]: "10.0.0.1" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["deprecated"] },
  },
  {
    name: "port and path: valid",
    annotations: { [`${AGG}app-port`]: "9100", [`${AGG}app-path`]: "/stats" },
    byVersion: { "2.11": [], "2.13": [], "2.14": ["deprecated"] },
  },
];
for (const c of aggregateCases) {
  for (const [version, expected] of Object.entries(c.byVersion)) {
    test(`${version}: ${c.name}`, () =>
      assert.deepEqual(codes(checkAnnotationValues(deploymentWith(c.annotations), kuma(version))), expected));
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
    byVersion: {
      "2.11": [/'kuma.io\/virtual-probes' will be removed in a future release; use kuma.io\/application-probe-proxy-port/],
      "2.14": [/will be removed/],
    },
  },
  {
    name: "virtual probes port: replaced by the application probe proxy port",
    annotations: { "kuma.io/virtual-probes-port": "9000" },
    byVersion: { "2.13": [/is being replaced by: 'kuma.io\/application-probe-proxy-port'/] },
  },
  {
    name: "prometheus port and path: deprecated from 2.14 only",
    annotations: { "prometheus.metrics.kuma.io/port": "9100", "prometheus.metrics.kuma.io/path": "/metrics" },
    byVersion: {
      "2.11": [],
      "2.13": [],
      "2.14": [
        /'prometheus.metrics.kuma.io\/port' is deprecated, use MeshMetric policy instead/,
        /'prometheus.metrics.kuma.io\/path' is deprecated/,
      ],
    },
  },
];
for (const c of deprecationCases) {
  for (const [version, expected] of Object.entries(c.byVersion)) {
    test(`${version}: ${c.name}`, () => {
      const findings = checkAnnotationValues(deploymentWith(c.annotations), kuma(version));
      assert.deepEqual(
        codes(findings),
        expected.map(() => "deprecated"),
      );
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
      annotations: {
        "kuma.io/sidecar-injected": "true",
        "kuma.io/virtual-probes": "disabled",
        "kuma.io/virtual-probes-port": "9000",
        "prometheus.metrics.kuma.io/port": "9100",
      },
    },
    spec: { containers: [{ name: "web", image: "nginx" }] },
  }) as WorkloadSubject;
  const findings = checkAnnotationValues(pod, kuma("2.14"));
  assert.deepEqual(
    findings.map((f) => f.path),
    ['metadata.annotations["prometheus.metrics.kuma.io/port"]'],
  );
});

test("the same virtual-probes annotation on a Pod that is not injected is the user's", () => {
  const pod = subjectOf({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "shop", annotations: { "kuma.io/virtual-probes": "disabled" } },
    spec: { containers: [] },
  }) as WorkloadSubject;
  assert.deepEqual(codes(checkAnnotationValues(pod, kuma("2.11"))), ["deprecated"]);
});

test("k8s.kuma.io/spire-support is read from 2.13: a bad value is an error there, an unknown key (not this rule's) on 2.11", () => {
  const subject = deploymentWith({ "k8s.kuma.io/spire-support": "on" });
  assert.deepEqual(codes(checkAnnotationValues(subject, kuma("2.11"))), []);
  assert.deepEqual(codes(checkAnnotationValues(subject, kuma("2.13"))), ["invalid-enabled"]);
});

test("the rule judges against the Kuma of the review (2.14 unless said otherwise)", () => {
  const subject = deploymentWith({ "prometheus.metrics.kuma.io/port": "9100" });
  assert.deepEqual(codes(checkRule(rule, subject)), ["deprecated"]);
  assert.deepEqual(codes(checkRule(rule, subject, { kuma: kuma("2.13") })), []);
});
