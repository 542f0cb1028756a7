import { containerOf } from "../kuma/container-patch.js";
import { fitMessage } from "../kuma/message.js";
import { blockWriting, chainBlocks } from "../kuma/patch-simulation.js";
import { advisory, MAX_FINDINGS_PER_RULE } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, ContainerPatchSubject } from "./types.js";

const CODES = {
  "more-fields": {
    when: "more unknown fields than are listed one by one: they are counted in one finding",
    params: { count: "how many more", container: "kuma-sidecar or kuma-init" },
  },
  "unknown-field": {
    when: "a block writes a field a Kubernetes Container does not have, which Kuma silently drops",
    params: {
      field: "the JSON Pointer of the field",
      container: "kuma-sidecar or kuma-init",
      suggestion: "the known field it is closest to, when there is one",
    },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma json.Unmarshals the patched container into corev1.Container, which silently drops
// fields it does not know: a typo such as /securityContext/privilegd changes nothing.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches).
export const patchUnknownField: Rule<ContainerPatchSubject, Code> = {
  id: "patch-unknown-field",
  summary: "Patches write only fields a Kubernetes Container has",
  defaultAction: "warn",
  targets: ["containerpatch"],
  codes: CODES,
  check(subject, ctx) {
    const findings: RuleFinding<Code>[] = [];
    for (const { list, after, before } of ctx.effects) {
      const unknown = after.unknownFields;
      if (unknown.length === 0) continue; // the usual case: nothing to attribute
      const own = chainBlocks([{ name: subject.meta.name, reading: ctx.reading }], list);
      if (own.length === 0) continue;
      const existing = new Set(before.unknownFields.map((field) => field.pointer));
      const added = unknown.filter((field) => !existing.has(field.pointer));
      // Finding the writing block scans the blocks: only for the fields the engine shows one by one.
      for (const field of added.slice(0, MAX_FINDINGS_PER_RULE)) {
        const writer = blockWriting(own, field.pointer);
        const by = writer ? `${list}[${writer.block.index}]` : list;
        const mean = field.suggestion
          ? `; did you mean ${field.pointer.slice(0, field.pointer.length - field.key.length)}${field.suggestion}?`
          : "";
        findings.push(
          advisory(
            "unknown-field",
            fitMessage(
              `${by} writes ${field.pointer}, which a Kubernetes Container does not have: Kuma silently drops it from ${containerOf(list)}${mean}`,
            ),
            writer ? `${writer.block.fieldPath}.path` : `spec.${list}`,
            field.suggestion
              ? { field: field.pointer, container: containerOf(list), suggestion: field.suggestion }
              : { field: field.pointer, container: containerOf(list) },
          ),
        );
      }
      const rest = added.length - MAX_FINDINGS_PER_RULE;
      if (rest > 0) {
        findings.push(
          advisory("more-fields", `and ${rest} more fields of ${containerOf(list)} a Kubernetes Container does not have`, `spec.${list}`, {
            count: rest,
            container: containerOf(list),
          }),
        );
      }
    }
    return findings;
  },
};
