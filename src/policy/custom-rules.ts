import { createRequire } from "node:module";
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020.js";
import type { ContainerPatchSubject, JsonObject, Rule, RuleFinding, Subject, WorkloadSubject } from "../rules/types.js";
import { error } from "../rules/types.js";
import { describeAjvError, toFieldPath } from "./errors.js";
import { QUANTITY_KEYWORDS } from "./quantity-keywords.js";

// Custom rules: a JSON Schema the target must satisfy. Schemas are compiled once per policy
// load (one ajv instance per load, so a reload never sees a previous policy's $ids); a
// request only builds the target and runs the compiled validator. ajv's compiler is loaded
// only for a policy with custom rules: `check` with the bundled policy starts without it.

export type CustomTarget = "containerpatch" | "workload" | "sidecar" | "init";

/** A custom rule as written in spec.customRules (already schema-checked). */
export interface CustomRuleSpec {
  id: string;
  target: CustomTarget;
  action: "deny" | "warn" | "audit" | "off";
  message: string;
  schema: boolean | Record<string, unknown>;
}

/** The only dialect custom schemas may declare (or leave `$schema` out). */
export const JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** A fresh ajv for one policy load: 2020-12, formats, quantity keywords, all errors, not strict (user schemas may carry annotations). */
export function createCustomRuleAjv(): Ajv2020 {
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = (require("ajv-formats") as typeof import("ajv-formats")).default;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const keyword of QUANTITY_KEYWORDS) ajv.addKeyword(keyword);
  return ajv;
}

/** The custom rules as rules, or the problems (`spec.customRules[1].schema: …`) that make the policy unusable. */
export function compileCustomRules(specs: readonly CustomRuleSpec[]): { rules: Rule<Subject>[]; problems: string[] } {
  if (specs.length === 0) return { rules: [], problems: [] };
  const ajv = createCustomRuleAjv();
  const rules: Rule<Subject>[] = [];
  const problems: string[] = [];
  specs.forEach((spec, index) => {
    const field = `spec.customRules[${index}].schema`;
    const dialect = typeof spec.schema === "object" ? spec.schema.$schema : undefined;
    if (dialect !== undefined && dialect !== JSON_SCHEMA_2020_12 && dialect !== `${JSON_SCHEMA_2020_12}#`) {
      problems.push(
        `${field}: custom rule ${spec.id}: $schema must be ${JSON_SCHEMA_2020_12} (or left out), not ${JSON.stringify(dialect)}`,
      );
      return;
    }
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(spec.schema);
    } catch (cause) {
      problems.push(`${field}: custom rule ${spec.id}: ${cause instanceof Error ? cause.message : String(cause)}`);
      return;
    }
    rules.push(toRule(spec, validate));
  });
  return { rules, problems };
}

function toRule(spec: CustomRuleSpec, validate: ValidateFunction): Rule<Subject> {
  const check = (target: unknown, mapPath: (field: string) => string | undefined): RuleFinding[] => {
    if (validate(target)) return [];
    const first = (validate.errors ?? [])[0];
    if (!first) return [error("schema", spec.message)];
    return [error("schema", `${spec.message} (${describeAjvError(first)})`, mapPath(toFieldPath(first.instancePath)))];
  };
  const base = {
    id: spec.id,
    summary: spec.message,
    defaultAction: spec.action === "deny" ? "deny" : "warn",
    codes: { schema: { when: spec.message } },
  } as const;
  switch (spec.target) {
    case "containerpatch":
      return {
        ...base,
        targets: ["containerpatch"],
        check: (subject) =>
          check(containerPatchTarget(subject as ContainerPatchSubject), (field) => field.replace(/\.valueParsed\b/, ".value")),
      };
    case "workload":
      return {
        ...base,
        targets: ["workload"],
        check: (subject) => {
          const workload = subject as WorkloadSubject;
          return check(workloadTarget(workload), (field) => workloadFieldPath(workload, field));
        },
      };
    case "sidecar":
    case "init": {
      const which = spec.target;
      return {
        ...base,
        targets: ["containerpatch", "workload"],
        check: (subject, ctx) => {
          const outcome = subject.target === "namespace" ? undefined : ctx.simulation[which];
          // A chain that fails to apply, or is too long to simulate, is patch-apply's finding: one root cause, one finding.
          if (!outcome || outcome.failure || outcome.unverified) return [];
          return check(outcome.container, () => undefined);
        },
      };
    }
  }
}

/** The ContainerPatch as custom rules see it: each block carries `valueParsed`, its `value` parsed as JSON when it parses. */
function containerPatchTarget(subject: ContainerPatchSubject): JsonObject {
  const { name, namespace, labels, annotations } = subject.meta;
  let spec = subject.spec;
  if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
    const withParsed: JsonObject = { ...(spec as JsonObject) };
    for (const list of ["sidecarPatch", "initPatch"]) {
      const blocks = withParsed[list];
      if (Array.isArray(blocks)) withParsed[list] = blocks.map(withValueParsed);
    }
    spec = withParsed;
  }
  return { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name, namespace, labels, annotations }, spec };
}

function withValueParsed(block: unknown): unknown {
  if (block === null || typeof block !== "object" || Array.isArray(block)) return block;
  const value = (block as JsonObject).value;
  if (typeof value !== "string") return block;
  try {
    return { ...(block as JsonObject), valueParsed: JSON.parse(value) as unknown };
  } catch {
    return block;
  }
}

/** The pod template as custom rules see it: the object's kind, name and namespace, the template's labels, annotations and PodSpec. */
export function workloadTarget(subject: WorkloadSubject): JsonObject {
  const { name, namespace } = subject.meta;
  const { labels, annotations, spec } = subject.template;
  return { kind: subject.kind, metadata: { name, namespace, labels, annotations }, spec };
}

/** A field of the workload target as a field of the admitted object (`spec.template.spec.containers[0]`). */
function workloadFieldPath(subject: WorkloadSubject, field: string): string | undefined {
  const prefix = subject.templatePath === "" ? "" : `${subject.templatePath}.`;
  if (field === "spec" || field.startsWith("spec.") || field.startsWith("spec[")) return prefix + field;
  if (/^metadata\.(labels|annotations)\b/.test(field)) return prefix + field;
  return field === "" ? undefined : field;
}
