import { checkFrom } from "../kuma/container-patch.js";
import type { PointerCode } from "../kuma/container-patch.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  missing: {
    when: 'a move or copy block has no `from` (Kuma passes "": move fails injection, copy copies the whole container)',
    params: { block: "the block (sidecarPatch[2])", op: "move or copy" },
  },
  "not-a-string": { when: "`from` is not a string (a number, a list, an object)", params: { block: "the block (sidecarPatch[2])" } },
  "not-a-pointer": {
    when: "`from` is not an RFC 6901 JSON Pointer (no leading /, a dotted path, a bad ~ escape)",
    params: { block: "the block (sidecarPatch[2])", pointer: "the from as written" },
  },
  "empty-segment": {
    when: "`from` has an empty segment (// or a trailing /), which Kuma's patch library reads as the same object",
    params: { block: "the block (sidecarPatch[2])", pointer: "the from as written" },
  },
} satisfies RuleCodes<PointerCode>;
type Code = keyof typeof CODES;

// Kuma's ToJsonPatch always passes `from`, "" when absent: move then fails injection and
// copy copies the whole container. Kuma: container_patch.go (ToJsonPatch); evanphx patch.go (move, copy).
export const patchFrom: Rule<ContainerPatchSubject, Code> = {
  id: "patch-from",
  summary: "move and copy blocks name a valid JSON Pointer in from",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    const reading = ctx.reading;
    if (reading.schemaValid) return [];
    return reading.blocks.flatMap(checkFrom);
  },
};
