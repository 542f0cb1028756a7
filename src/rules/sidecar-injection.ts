import type { Rule, NamespaceSubject, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const sidecarInjection: Rule<WorkloadSubject | NamespaceSubject> = {
  id: "sidecar-injection",
  summary: "The kuma.io/sidecar-injection label holds one of Kuma's words and is a label, not an annotation",
  defaultAction: "deny",
  targets: ["workload", "namespace"],
  check() {
    return [];
  },
};
