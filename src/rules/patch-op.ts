import { checkOp } from "../kuma/container-patch.js";
import type { OpCode } from "../kuma/container-patch.js";
import { error } from "./types.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  "invalid-shape": {
    when: "spec is not an object, or spec.sidecarPatch / spec.initPatch is not a list",
    params: { field: "the field of the wrong type (spec, spec.sidecarPatch, spec.initPatch)" },
  },
  "not-a-block": { when: "a list item is not an object {op, path, value}", params: { block: "the block (sidecarPatch[2])" } },
  "missing-op": { when: "a block has no op", params: { block: "the block (sidecarPatch[2])" } },
  "op-not-a-string": {
    when: "a block's op is not a string (a number, a list, an object)",
    params: { block: "the block (sidecarPatch[2])" },
  },
  "test-op": { when: "a block's op is RFC 6902 `test`, which Kuma's CRD excludes", params: { block: "the block (sidecarPatch[2])" } },
  "unknown-op": {
    when: "a block's op is no op Kuma's CRD accepts (e.g. Add, upsert)",
    params: { block: "the block (sidecarPatch[2])", op: "the op (first 40 characters)" },
  },
} satisfies RuleCodes<OpCode | "invalid-shape">;
type Code = keyof typeof CODES;

// The CRD's op enum is add|remove|replace|move|copy: RFC 6902 `test` is excluded although
// Kuma's patch library supports it. A spec or list of the wrong shape is reported here too.
// Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go (JsonPatchBlock).
export const patchOp: Rule<ContainerPatchSubject, Code> = {
  id: "patch-op",
  summary: "Every patch block has an op Kuma's CRD accepts: add, remove, replace, move or copy",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return []; // the schema's op enum and shapes already hold
    return [
      ...reading.shapeProblems.map((problem) => error("invalid-shape", problem.message, problem.path, { field: problem.path })),
      ...reading.blocks.flatMap(checkOp),
    ];
  },
};
