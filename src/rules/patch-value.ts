import { checkValue } from "../kuma/container-patch.js";
import type { ValueCode } from "../kuma/container-patch.js";
import { MAX_NESTING_DEPTH } from "../limits.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  "ignored-value": {
    when: "a remove, move or copy block carries a value, which Kuma ignores",
    params: { block: "the block (sidecarPatch[2])", op: "its op" },
  },
  missing: {
    when: "an add or replace block has no value: injection fails",
    params: { block: "the block (sidecarPatch[2])", op: "its op" },
  },
  "not-a-string": {
    when: "the value is a YAML boolean, number, list or object, not a string holding JSON: Kuma's CRD rejects it",
    params: { block: "the block (sidecarPatch[2])" },
  },
  empty: { when: "the value is an empty string: injection fails", params: { block: "the block (sidecarPatch[2])", op: "its op" } },
  "too-deep": {
    when: `the value's JSON nests deeper than kuma-guard reads (${MAX_NESTING_DEPTH} levels, far below any Container field)`,
    params: { block: "the block (sidecarPatch[2])", limit: "the nesting limit" },
  },
  "invalid-json": {
    when: "the value looks like a JSON object, list or string but does not parse: injection fails",
    params: { block: "the block (sidecarPatch[2])", reason: "JSON.parse's complaint" },
  },
  "unquoted-string": {
    when: "the value is a bare word such as 100m, not JSON (a JSON string needs its own quotes): injection fails",
    params: { block: "the block (sidecarPatch[2])", fix: "the value as a JSON string" },
  },
} satisfies RuleCodes<ValueCode>;
type Code = keyof typeof CODES;

// `value` is a string holding a JSON document, handed to the patch library raw: `100m` is
// not JSON ('"100m"' is), and a YAML boolean is rejected by the CRD (type string).
// Kuma: container_patch.go (JsonPatchBlock.Value, ToJsonPatch).
export const patchValue: Rule<ContainerPatchSubject, Code> = {
  id: "patch-value",
  summary: "add and replace blocks carry a value that is a string holding JSON",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    // No schema shortcut: the schema cannot tell whether a string is JSON.
    return ctx.reading.blocks.flatMap(checkValue);
  },
};
