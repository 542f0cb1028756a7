import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchValue: Rule<ContainerPatchSubject> = {
  id: "patch-value",
  summary: "add and replace blocks carry a value string that holds a JSON document",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
