import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchUnknownField: Rule<ContainerPatchSubject> = {
  id: "patch-unknown-field",
  summary: "Patches write only fields the Kubernetes Container has (Kuma drops the rest silently)",
  defaultAction: "warn",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
