import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchEmpty: Rule<ContainerPatchSubject> = {
  id: "patch-empty",
  summary: "A ContainerPatch has at least one sidecarPatch or initPatch block",
  defaultAction: "warn",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
