import { advisory } from "./types.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  "no-blocks": { when: "the ContainerPatch has no sidecarPatch and no initPatch blocks, so it changes nothing" },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// A ContainerPatch without blocks changes nothing, yet pods referencing it still depend on
// it existing (Kuma: injector.go loadContainerPatches fails on a missing name).
export const patchEmpty: Rule<ContainerPatchSubject, Code> = {
  id: "patch-empty",
  summary: "A ContainerPatch has at least one sidecarPatch or initPatch block",
  defaultAction: "warn",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    const reading = ctx.reading;
    if (reading.blocks.length > 0 || reading.shapeProblems.length > 0) return [];
    return [
      advisory(
        "no-blocks",
        "this ContainerPatch has no sidecarPatch and no initPatch blocks, so it changes nothing; add blocks or delete it (and its references)",
        "spec",
      ),
    ];
  },
};
