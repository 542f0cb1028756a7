import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchOp: Rule<ContainerPatchSubject> = {
  id: "patch-op",
  summary: "Every patch block has an op Kuma's CRD accepts: add, remove, replace, move or copy",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
