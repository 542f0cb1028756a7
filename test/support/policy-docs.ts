// Building and loading policies for the policy tests.
import { compilePolicy } from "../../src/policy/compile.js";
import type { PolicyDocument } from "../../src/policy/compile.js";
import { parsePolicy } from "../../src/policy/load.js";
import type { Policy } from "../../src/policy/types.js";
import type { AnyRule } from "../../src/rules/types.js";

/** A policy document with `spec` merged over an empty spec. */
export function policyDocument(spec: PolicyDocument["spec"] = {}): PolicyDocument {
  return { apiVersion: "kuma-guard.io/v1alpha1", kind: "Policy", metadata: { name: "test" }, spec };
}

/** Compiles `spec` without the schema step (for fake built-in rules). */
export function compiledPolicy(spec: PolicyDocument["spec"] = {}, builtInRules?: readonly AnyRule[]): Policy {
  return compilePolicy(policyDocument(spec), "test.yaml", builtInRules ? { builtInRules } : {});
}

/** Parses `spec` as a file would be: YAML → schema → compile (JSON is YAML). */
export function parsedPolicy(spec: unknown, source = "test.yaml"): Promise<Policy> {
  return parsePolicy(JSON.stringify({ apiVersion: "kuma-guard.io/v1alpha1", kind: "Policy", metadata: { name: "test" }, spec }), source);
}

/** The problems a policy text is rejected with (empty when it loads). */
export async function problemsOf(text: string, source = "policies/x.yaml"): Promise<string[]> {
  try {
    await parsePolicy(text, source);
    return [];
  } catch (cause) {
    const problems = (cause as { problems?: readonly string[] }).problems;
    if (!problems) throw cause;
    return [...problems];
  }
}
