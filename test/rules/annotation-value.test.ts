// Table tests for the annotation-value rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { annotationValue as rule } from "../../src/rules/annotation-value.js";

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
  { name: "gateway with virtual probes", annotations: { "kuma.io/gateway": "enabled", "kuma.io/virtual-probes": "enabled" }, severities: ["error"] },
  { name: "ingress public address without port", annotations: { "kuma.io/ingress-public-address": "1.2.3.4" }, severities: ["error"] },
  { name: "token volume missing", annotations: { "kuma.io/service-account-token-volume": "token" }, severities: ["error"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(severities(checkRule(rule, deploymentWith(c.annotations))), c.severities));

test("Kuma wording for a bad duration", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/sidecar-drain-time": "10" }));
  assert.match(finding?.message ?? "", /time: missing unit in duration "10"/);
});
