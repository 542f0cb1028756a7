import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import type { JudgedOutcome } from "../kuma/analysis.js";
import { containerOf } from "../kuma/container-patch.js";
import type { PatchList } from "../kuma/container-patch.js";
import type { ContainerProblem } from "../kuma/container-validation.js";
import { fitMessage } from "../kuma/message.js";
import { blockWriting, chainBlocks } from "../kuma/patch-simulation.js";
import { error } from "./types.js";
import type { Rule, RuleContext, RuleFinding, ContainerPatchSubject, WorkloadSubject } from "./types.js";

// Kuma unmarshals the patched JSON into corev1.Container (a string where a boolean belongs
// fails injection) and the API server then validates the pod: privileged: true next to the
// sidecar's allowPrivilegeEscalation: false (set since Kuma 2.13) is rejected.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches);
// Kubernetes: pkg/apis/core/validation/validation.go (ValidateSecurityContext and friends).
export const patchContainer: Rule<ContainerPatchSubject | WorkloadSubject> = {
  id: "patch-container",
  summary: "The patched kuma-sidecar and kuma-init are still valid Kubernetes Containers",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  check(subject, ctx) {
    const findings: RuleFinding[] = [];
    for (const { list, after: outcome, before } of ctx.effects) {
      if (outcome.failure) continue; // patch-apply's finding
      const problems = addedProblems(outcome, before);
      if (problems.length === 0) continue;
      findings.push(...problems.map((problem) => toFinding(subject, ctx, list, problem, outcome)));
    }
    return findings;
  },
};

/** The problems `after` has and `before` lacks: findings name only what the patches under review break. */
function addedProblems(after: JudgedOutcome, before: JudgedOutcome): readonly ContainerProblem[] {
  const known = new Set(before.problems.map((problem) => problem.message));
  return after.problems.filter((problem) => !known.has(problem.message));
}

function toFinding(subject: ContainerPatchSubject | WorkloadSubject, ctx: RuleContext, list: PatchList, problem: ContainerProblem, outcome: JudgedOutcome): RuleFinding {
  const container = containerOf(list);
  const explained = problem.message + typeHint(problem, outcome);
  if (subject.target === "workload") {
    const writer = blockWriting(chainBlocks(ctx.chain.entries, list), problem.pointer);
    const by = writer ? `ContainerPatch ${JSON.stringify(writer.patch)} ${list}[${writer.block.index}]` : "the container patches";
    return error(fitMessage(`${by} makes ${container} invalid: ${explained}`), annotationPath(subject.templatePath, CONTAINER_PATCHES));
  }
  const writer = blockWriting(chainBlocks([{ name: subject.meta.name, reading: ctx.reading }], list), problem.pointer);
  if (!writer) return error(fitMessage(`${list} makes ${container} invalid: ${explained}`), `spec.${list}`);
  return error(fitMessage(`${list}[${writer.block.index}] makes ${container} invalid: ${explained}`), `${writer.block.fieldPath}.value`);
}

/** '"true"' where a boolean belongs: the value is a JSON string, drop the inner quotes. */
function typeHint(problem: ContainerProblem, outcome: JudgedOutcome): string {
  const match = /must be (boolean|integer|number)/.exec(problem.message);
  if (!match) return "";
  let value: unknown = outcome.container;
  for (const token of problem.pointer.split("/").slice(1)) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[token] : undefined;
  if (typeof value !== "string") return "";
  try {
    const inner: unknown = JSON.parse(value);
    if (typeof inner === "boolean" || typeof inner === "number") return `; write value: "${value}" (JSON ${value}), not '"${value}"'`;
  } catch {
    // not a quoted scalar: no hint
  }
  return "";
}
