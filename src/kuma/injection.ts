// Whether Kuma's injector will inject a pod, from the pod's own label and, when known, its
// namespace's. Two steps, both Kuma's:
// 1. the mutating webhook is only called for a pod when its namespace's label is `enabled`
//    or `true`, or when the namespace label exists and the pod's own label is exactly
//    `enabled`; never in kube-system or the control-plane namespace
//    (deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml);
// 2. then the pod's label wins if present, else the namespace's (injector/precheck.go
//    needToInject, read with GetEnabled).
import { SIDECAR_INJECTION } from "./annotations.js";
import type { Labels } from "./model.js";
import { parseEnabled } from "./parsers/boolean.js";

/** Namespace label values the injector's namespaceSelector matches on their own. */
const SELECTING_NAMESPACE_VALUES: ReadonlySet<string> = new Set(["enabled", "true"]);

export type Injection =
  /** Kuma will inject the pod (or would, where its label is valid). */
  | { injected: true }
  /** The pod or template says no: only the injection label matters. */
  | { injected: false; reason: "pod-label" }
  /** The pod asks for injection, but Kuma's webhook is never called for it. */
  | { injected: false; reason: "namespace-unlabelled" | "namespace-not-selecting"; namespaceValue?: string }
  /** The namespace label keeps it away and the pod does not ask. */
  | { injected: false; reason: "namespace" }
  /** Kuma never injects in this namespace (kube-system, the control plane's). */
  | { injected: false; reason: "excluded-namespace" };

/**
 * What Kuma does with a pod of `podLabels` in `namespace`. `namespaceLabels` undefined means
 * unknown (no cluster view, no Namespace in the input): the pod's own label decides, as it
 * would in a namespace that selects it.
 */
export function injectionOf(
  podLabels: Labels,
  namespace: string,
  namespaceLabels: Labels | undefined,
  controlPlaneNamespaces: readonly string[],
): Injection {
  const podValue = podLabels[SIDECAR_INJECTION];
  const podSays = podValue === undefined ? undefined : parseEnabled(podValue);
  // An unparsable pod label fails injection: the label rule's error, so the pod counts as injected for the others.
  const podWants = podSays === undefined ? undefined : "error" in podSays ? true : podSays.value.value;
  if (podWants === false) return { injected: false, reason: "pod-label" };
  if (namespaceLabels === undefined) return { injected: true };
  if (namespace === "kube-system" || controlPlaneNamespaces.includes(namespace)) return { injected: false, reason: "excluded-namespace" };

  const namespaceValue = namespaceLabels[SIDECAR_INJECTION];
  if (namespaceValue === undefined)
    return podWants ? { injected: false, reason: "namespace-unlabelled" } : { injected: false, reason: "namespace" };
  if (SELECTING_NAMESPACE_VALUES.has(namespaceValue)) return { injected: true };
  // Another namespace value: the webhook is called only for pods labelled exactly "enabled".
  if (podValue === "enabled") return { injected: true };
  return podWants ? { injected: false, reason: "namespace-not-selecting", namespaceValue } : { injected: false, reason: "namespace" };
}
