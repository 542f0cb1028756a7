import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchFrom: Rule<ContainerPatchSubject> = {
  id: "patch-from",
  summary: "move and copy blocks carry a from JSON Pointer",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
