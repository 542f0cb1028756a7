import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchPath: Rule<ContainerPatchSubject> = {
  id: "patch-path",
  summary: "Every patch block has a path that is an RFC 6901 JSON Pointer",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
