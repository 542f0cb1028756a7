import { checkValue } from "../kuma/container-patch.js";
import type { Rule, ContainerPatchSubject } from "./types.js";

// `value` is a string holding a JSON document, handed to the patch library raw: `100m` is
// not JSON ('"100m"' is), and a YAML boolean is rejected by the CRD (type string).
// Kuma: container_patch.go (JsonPatchBlock.Value, ToJsonPatch).
export const patchValue: Rule<ContainerPatchSubject> = {
  id: "patch-value",
  summary: "add and replace blocks carry a value that is a string holding JSON",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check(subject, ctx) {
    // No schema shortcut: the schema cannot tell whether a string is JSON.
    return ctx.reading.blocks.flatMap(checkValue);
  },
};
