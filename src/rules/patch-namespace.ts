import { error } from "./types.js";
import type { Rule, RuleCodes, ContainerPatchSubject } from "./types.js";

const CODES = {
  "outside-control-plane": {
    when: "the ContainerPatch is outside every control-plane namespace: Kuma denies it there and never reads it",
    params: { namespace: "its namespace" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma reads ContainerPatches only from its own (system) namespace and denies them
// elsewhere with exactly this message.
// Kuma: pkg/plugins/runtime/k8s/webhooks/containerpatch_validator.go (ContainerPatchValidator.Handle).
export const patchNamespace: Rule<ContainerPatchSubject, Code> = {
  id: "patch-namespace",
  summary: "ContainerPatches live in a control-plane namespace, the only place Kuma reads them",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(subject, ctx) {
    const allowed = ctx.settings.controlPlaneNamespaces;
    if (allowed.includes(subject.meta.namespace)) return [];
    const where = allowed.length > 0 ? allowed.join(" or ") : "the control-plane";
    return [
      error(
        "outside-control-plane",
        `ContainerPatch can only be placed in ${where} namespace. It can be however referenced by pods in all namespaces` +
          (allowed.length > 0 ? ` (move it from ${JSON.stringify(subject.meta.namespace)} to ${allowed[0]})` : ""),
        "metadata.namespace",
        { namespace: subject.meta.namespace },
      ),
    ];
  },
};
