import { checkFrom } from "../kuma/container-patch.js";
import type { Rule, ContainerPatchSubject } from "./types.js";

// Kuma's ToJsonPatch always passes `from`, "" when absent: move then fails injection and
// copy copies the whole container. Kuma: container_patch.go (ToJsonPatch); evanphx patch.go (move, copy).
export const patchFrom: Rule<ContainerPatchSubject> = {
  id: "patch-from",
  summary: "move and copy blocks name a valid JSON Pointer in from",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check(subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return [];
    return reading.blocks.flatMap(checkFrom);
  },
};
