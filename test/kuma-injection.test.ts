// Whether Kuma injects a pod, as its webhook selectors and precheck decide.
// Kuma: deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml (namespace-kuma-injector,
// pods-kuma-injector), pkg/plugins/runtime/k8s/webhooks/injector/precheck.go (needToInject).
import { test } from "node:test";
import assert from "node:assert/strict";
import { injectionOf } from "../src/kuma/injection.js";

const label = (value?: string): Record<string, string> => (value === undefined ? {} : { "kuma.io/sidecar-injection": value });
const CP = ["kuma-system"];

const rows: { name: string; pod?: string; namespace?: string | null; ns?: string; expected: ReturnType<typeof injectionOf> }[] = [
  { name: "namespace unknown, no pod label", namespace: null, expected: { injected: true } },
  { name: "namespace unknown, pod disabled", pod: "disabled", namespace: null, expected: { injected: false, reason: "pod-label" } },
  { name: "namespace enabled, no pod label", namespace: "enabled", expected: { injected: true } },
  { name: "namespace true, pod true", pod: "true", namespace: "true", expected: { injected: true } },
  { name: "namespace enabled, pod disabled", pod: "disabled", namespace: "enabled", expected: { injected: false, reason: "pod-label" } },
  {
    name: "namespace disabled, pod enabled: the pods webhook selects it",
    pod: "enabled",
    namespace: "disabled",
    expected: { injected: true },
  },
  {
    name: "namespace disabled, pod true: no webhook is called",
    pod: "true",
    namespace: "disabled",
    expected: { injected: false, reason: "namespace-not-selecting", namespaceValue: "disabled" },
  },
  {
    name: "namespace yes, pod yes",
    pod: "yes",
    namespace: "yes",
    expected: { injected: false, reason: "namespace-not-selecting", namespaceValue: "yes" },
  },
  { name: "namespace disabled, no pod label", namespace: "disabled", expected: { injected: false, reason: "namespace" } },
  { name: "namespace without the label, pod enabled", pod: "enabled", expected: { injected: false, reason: "namespace-unlabelled" } },
  { name: "namespace without the label, no pod label", expected: { injected: false, reason: "namespace" } },
  {
    name: "kube-system is never injected",
    pod: "enabled",
    namespace: "enabled",
    ns: "kube-system",
    expected: { injected: false, reason: "excluded-namespace" },
  },
  {
    name: "the control-plane namespace is never injected",
    namespace: "enabled",
    ns: "kuma-system",
    expected: { injected: false, reason: "excluded-namespace" },
  },
  {
    name: "a pod label Kuma cannot read fails injection (the label rule's error)",
    pod: "Enabled",
    namespace: "enabled",
    expected: { injected: true },
  },
];

for (const row of rows) {
  test(row.name, () => {
    const namespaceLabels = row.namespace === null ? undefined : label(row.namespace);
    assert.deepEqual(injectionOf(label(row.pod), row.ns ?? "shop", namespaceLabels, CP), row.expected);
  });
}
