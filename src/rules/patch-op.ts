import { checkOp } from "../kuma/container-patch.js";
import { error } from "./types.js";
import type { Rule, ContainerPatchSubject } from "./types.js";

// The CRD's op enum is add|remove|replace|move|copy: RFC 6902 `test` is excluded although
// Kuma's patch library supports it. A spec or list of the wrong shape is reported here too.
// Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go (JsonPatchBlock).
export const patchOp: Rule<ContainerPatchSubject> = {
  id: "patch-op",
  summary: "Every patch block has an op Kuma's CRD accepts: add, remove, replace, move or copy",
  defaultAction: "deny",
  targets: ["containerpatch"],
  check(subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return []; // the schema's op enum and shapes already hold
    return [
      ...reading.shapeProblems.map((problem) => error(problem.message, problem.path)),
      ...reading.blocks.flatMap(checkOp),
    ];
  },
};
