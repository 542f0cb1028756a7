import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchNamespace: Rule<ContainerPatchSubject> = {
  id: "patch-namespace",
  summary: "A ContainerPatch lives in a control-plane namespace, the only place Kuma reads it",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
