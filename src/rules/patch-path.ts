import { checkPath } from "../kuma/container-patch.js";
import type { Rule, ContainerPatchSubject } from "./types.js";

// `path` is required by the CRD but has no pattern: Kuma's library splits it on "/" without
// checking, so "securityContext/privileged" silently patches "/privileged".
// Kuma: container_patch.go (JsonPatchBlock); evanphx/json-patch v5 patch.go (findObject).
export const patchPath: Rule<ContainerPatchSubject> = {
  id: "patch-path",
  summary: "Every patch block has a path that is an RFC 6901 JSON Pointer",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check(subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return [];
    return reading.blocks.flatMap(checkPath);
  },
};
