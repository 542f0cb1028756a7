// Table tests for the annotation-value rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { annotationValue as rule } from "../../src/rules/annotation-value.js";

sharedWorkloadRuleTests(rule, ["invalid-boolean", "invalid-duration"]);

// Kuma: metadata/annotations.go (GetEnabled/GetBoolean/GetUint32/GetMap/GetDurationWithDefault), injector.go, pod_converter.go
const cases: { name: string; annotations: Record<string, string>; codes: string[] }[] = [
  { name: "drain time in Go syntax", annotations: { "kuma.io/sidecar-drain-time": "1m30s" }, codes: [] },
  { name: "drain time without unit", annotations: { "kuma.io/sidecar-drain-time": "10" }, codes: ["invalid-duration"] },
  { name: "env vars map", annotations: { "kuma.io/sidecar-env-vars": "A=1;B=2" }, codes: [] },
  { name: "env vars trailing ;", annotations: { "kuma.io/sidecar-env-vars": "A=1;" }, codes: ["invalid-map"] },
  { name: "env vars empty value (GetMap fails on \"\")", annotations: { "kuma.io/sidecar-env-vars": "" }, codes: ["invalid-map"] },
  { name: "env var without a name", annotations: { "kuma.io/sidecar-env-vars": "=1" }, codes: ["map-empty-name"] },
  { name: "concurrency", annotations: { "kuma.io/sidecar-proxy-concurrency": "2" }, codes: [] },
  { name: "concurrency negative", annotations: { "kuma.io/sidecar-proxy-concurrency": "-1" }, codes: ["invalid-uint32"] },
  { name: "admin port above 65535 (probe port invalid)", annotations: { "kuma.io/envoy-admin-port": "70000" }, codes: ["port-out-of-range"] },
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
  { name: "gateway true (controller: invalid delegated gateway type)", annotations: { "kuma.io/gateway": "true" }, codes: ["invalid-gateway"] },
  { name: "gateway with virtual probes", annotations: { "kuma.io/gateway": "enabled", "kuma.io/virtual-probes": "enabled" }, codes: ["gateway-virtual-probes"] },
  { name: "ingress public address without port", annotations: { "kuma.io/ingress-public-address": "1.2.3.4" }, codes: ["ingress-public-half"] },
  { name: "token volume missing", annotations: { "kuma.io/service-account-token-volume": "token" }, codes: ["missing-token-volume"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith(c.annotations))), c.codes));

test("Kuma wording for a bad duration", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/sidecar-drain-time": "10" }));
  assert.match(finding?.message ?? "", /time: missing unit in duration "10"/);
});
