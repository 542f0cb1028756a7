import { checkPath } from "../kuma/container-patch.js";
import type { PointerCode } from "../kuma/container-patch.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  missing: { when: "a block has no `path`", params: { block: "the block (sidecarPatch[2])" } },
  "not-a-string": { when: "`path` is not a string (a number, a list, an object)", params: { block: "the block (sidecarPatch[2])" } },
  "not-a-pointer": {
    when: "`path` is not an RFC 6901 JSON Pointer (no leading /, a dotted path, a bad ~ escape)",
    params: { block: "the block (sidecarPatch[2])", pointer: "the path as written" },
  },
  "empty-segment": {
    when: "`path` has an empty segment (// or a trailing /), which Kuma's patch library reads as the same object",
    params: { block: "the block (sidecarPatch[2])", pointer: "the path as written" },
  },
} satisfies RuleCodes<PointerCode>;
type Code = keyof typeof CODES;

// `path` is required by the CRD but has no pattern: Kuma's library splits it on "/" without
// checking, so "securityContext/privileged" silently patches "/privileged".
// Kuma: container_patch.go (JsonPatchBlock); evanphx/json-patch v5 patch.go (findObject).
export const patchPath: Rule<ContainerPatchSubject, Code> = {
  id: "patch-path",
  summary: "Every patch block has a path that is an RFC 6901 JSON Pointer",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return [];
    return reading.blocks.flatMap(checkPath);
  },
};
