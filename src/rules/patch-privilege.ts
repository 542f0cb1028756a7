import type { Rule, ContainerPatchSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchPrivilege: Rule<ContainerPatchSubject> = {
  id: "patch-privilege",
  summary: "Patches do not raise the privileges of Kuma's containers",
  defaultAction: "warn",
  targets: ["containerpatch"],
  check() {
    return [];
  },
};
