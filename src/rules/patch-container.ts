import type { Rule, ContainerPatchSubject, WorkloadSubject } from "./types.js";

// PLACEHOLDER: implementation pending.
export const patchContainer: Rule<ContainerPatchSubject | WorkloadSubject> = {
  id: "patch-container",
  summary: "The patched sidecar and init containers are still valid Kubernetes Containers",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  check() {
    return [];
  },
};
