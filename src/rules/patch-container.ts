import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import type { JudgedOutcome } from "../kuma/analysis.js";
import { containerOf } from "../kuma/container-patch.js";
import type { PatchList } from "../kuma/container-patch.js";
import type { ContainerProblem } from "../kuma/container-validation.js";
import { fitMessage } from "../kuma/message.js";
import { blockWriting, chainBlocks } from "../kuma/patch-simulation.js";
import { error, MAX_FINDINGS_PER_RULE } from "./types.js";
import type { FindingParams, Rule, RuleCodes, RuleContext, RuleFinding, ContainerPatchSubject, WorkloadSubject } from "./types.js";

const CODES = {
  "more-problems": {
    when: "more problems than are listed one by one: they are counted in one finding",
    params: { count: "how many more", container: "kuma-sidecar or kuma-init" },
  },
  "invalid-container": {
    when: "the patched kuma-sidecar or kuma-init is not a valid Kubernetes Container (a string where a boolean belongs, privileged next to allowPrivilegeEscalation: false, …): injection fails or the API server rejects the pod",
    params: {
      container: "kuma-sidecar or kuma-init",
      problem: "what Kubernetes' validation says",
      patch: "on a pod: the ContainerPatch whose block makes it invalid, when one does",
      block: "the block that makes it invalid (sidecarPatch[2]), when one does",
    },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma unmarshals the patched JSON into corev1.Container (a string where a boolean belongs
// fails injection) and the API server then validates the pod: privileged: true next to the
// sidecar's allowPrivilegeEscalation: false (set since Kuma 2.13) is rejected.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches);
// Kubernetes: pkg/apis/core/validation/validation.go (ValidateSecurityContext and friends).
export const patchContainer: Rule<ContainerPatchSubject | WorkloadSubject, Code> = {
  id: "patch-container",
  summary: "The patched kuma-sidecar and kuma-init are still valid Kubernetes Containers",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  codes: CODES,
  check(subject, ctx) {
    const findings: RuleFinding<Code>[] = [];
    for (const { list, after: outcome, before } of ctx.effects) {
      if (outcome.failure) continue; // patch-apply's finding
      const problems = addedProblems(outcome, before);
      if (problems.length === 0) continue;
      // Naming the writing block scans the chain: only for the problems the engine shows one by one.
      findings.push(...problems.slice(0, MAX_FINDINGS_PER_RULE).map((problem) => toFinding(subject, ctx, list, problem, outcome)));
      const rest = problems.length - MAX_FINDINGS_PER_RULE;
      const container = containerOf(list);
      if (rest > 0)
        findings.push(
          error("more-problems", `and ${rest} more problems that make ${container} invalid`, undefined, { count: rest, container }),
        );
    }
    return findings;
  },
};

/** The problems `after` has and `before` lacks: findings name only what the patches under review break. */
function addedProblems(after: JudgedOutcome, before: JudgedOutcome): readonly ContainerProblem[] {
  if (after === before) return []; // nothing under review touched this container
  const known = new Set(before.problems.map((problem) => problem.message));
  return after.problems.filter((problem) => !known.has(problem.message));
}

function toFinding(
  subject: ContainerPatchSubject | WorkloadSubject,
  ctx: RuleContext,
  list: PatchList,
  problem: ContainerProblem,
  outcome: JudgedOutcome,
): RuleFinding<Code> {
  const container = containerOf(list);
  const explained = problem.message + typeHint(problem, outcome);
  if (subject.target === "workload") {
    const writer = blockWriting(chainBlocks(ctx.chain.entries, list), problem.pointer);
    const by = writer ? `ContainerPatch ${JSON.stringify(writer.patch)} ${list}[${writer.block.index}]` : "the container patches";
    const params: FindingParams = writer
      ? { container, problem: problem.message, patch: writer.patch, block: `${list}[${writer.block.index}]` }
      : { container, problem: problem.message };
    return error(
      "invalid-container",
      fitMessage(`${by} makes ${container} invalid: ${explained}`),
      annotationPath(subject.templatePath, CONTAINER_PATCHES),
      params,
    );
  }
  const writer = blockWriting(chainBlocks([{ name: subject.meta.name, reading: ctx.reading }], list), problem.pointer);
  if (!writer)
    return error("invalid-container", fitMessage(`${list} makes ${container} invalid: ${explained}`), `spec.${list}`, {
      container,
      problem: problem.message,
    });
  return error(
    "invalid-container",
    fitMessage(`${list}[${writer.block.index}] makes ${container} invalid: ${explained}`),
    `${writer.block.fieldPath}.value`,
    { container, problem: problem.message, block: `${list}[${writer.block.index}]` },
  );
}

/** '"true"' where a boolean belongs: the value is a JSON string, drop the inner quotes. */
function typeHint(problem: ContainerProblem, outcome: JudgedOutcome): string {
  const match = /must be (boolean|integer|number)/.exec(problem.message);
  if (!match) return "";
  let value: unknown = outcome.container;
  for (const token of problem.pointer.split("/").slice(1))
    value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[token] : undefined;
  if (typeof value !== "string") return "";
  try {
    const inner: unknown = JSON.parse(value);
    if (typeof inner === "boolean" || typeof inner === "number") return `; write value: "${value}" (JSON ${value}), not '"${value}"'`;
  } catch {
    // not a quoted scalar: no hint
  }
  return "";
}
