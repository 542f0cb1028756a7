import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { BUILT_IN_RULE_IDS } from "../src/rules/index.js";
import { KUMA_TEMPLATES } from "../src/kuma/templates.js";
import { createDefaultPolicy, DEFAULT_POLICY_DOCUMENT } from "../src/policy/compile.js";
import { bundledPolicyPath, loadPolicy } from "../src/policy/load.js";
import { PolicyLoadError } from "../src/policy/errors.js";
import { REPO_ROOT } from "./support/context.js";
import { parsedPolicy, problemsOf } from "./support/policy-docs.js";

const HEAD = "apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nmetadata: {name: x}\n";
const withSpec = (spec: string) => `${HEAD}spec:\n${spec.replace(/^/gm, "  ")}\n`;

// Each row: a policy text and one problem it must be rejected with, word for word.
const schemaCases = [
  {
    name: "action outside the four words",
    text: withSpec("rules:\n  patch-privilege: {action: block}"),
    problem: "policies/x.yaml: spec.rules.patch-privilege.action: must be one of deny, warn, audit, off",
  },
  {
    name: "unknown rule id, close to a real one",
    text: withSpec("rules:\n  patch-privilig: {action: deny}"),
    problem:
      "policies/x.yaml: spec.rules.patch-privilig: unknown rule id (did you mean patch-privilege?); the built-in rules are listed in docs/rules.md",
  },
  {
    name: "unknown rule id, nothing close",
    text: withSpec("rules:\n  no-such-thing: {action: deny}"),
    problem: "policies/x.yaml: spec.rules.no-such-thing: unknown rule id; the built-in rules are listed in docs/rules.md",
  },
  {
    name: "rule setting without action",
    text: withSpec("rules:\n  patch-empty: {}"),
    problem: "policies/x.yaml: spec.rules.patch-empty.action: is required",
  },
  {
    name: "wrong apiVersion",
    text: "apiVersion: v1\nkind: Policy\nspec: {}\n",
    problem: "policies/x.yaml: apiVersion: must be kuma-guard.io/v1alpha1",
  },
  {
    name: "wrong kind",
    text: "apiVersion: kuma-guard.io/v1alpha1\nkind: ConfigMap\nspec: {}\n",
    problem: "policies/x.yaml: kind: must be Policy",
  },
  { name: "no spec", text: "apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\n", problem: "policies/x.yaml: spec: is required" },
  { name: "misspelled spec field", text: withSpec("exemption: []"), problem: "policies/x.yaml: spec.exemption: unknown field" },
  {
    name: "no control-plane namespace",
    text: withSpec("controlPlaneNamespaces: []"),
    problem: "policies/x.yaml: spec.controlPlaneNamespaces: must not be empty",
  },
  {
    name: "control-plane namespace not a DNS label",
    text: withSpec("controlPlaneNamespaces: [Kuma_System]"),
    problem:
      "policies/x.yaml: spec.controlPlaneNamespaces[0]: must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
  },
  {
    name: "control-plane namespace repeated",
    text: withSpec("controlPlaneNamespaces: [kuma-system, kuma-system]"),
    problem: "policies/x.yaml: spec.controlPlaneNamespaces: must not repeat an item (items 0 and 1 are equal)",
  },
  {
    name: "onError outside allow/deny",
    text: withSpec("onError: ignore"),
    problem: "policies/x.yaml: spec.onError: must be one of allow, deny",
  },
  {
    name: "templates for an unknown container",
    text: withSpec("templates: {validation: {}}"),
    problem: "policies/x.yaml: spec.templates.validation: unknown field",
  },
  {
    name: "template that is not a mapping",
    text: withSpec("templates: {sidecar: [1]}"),
    problem: "policies/x.yaml: spec.templates.sidecar: must be a mapping",
  },
  {
    name: "exemption kind not routed",
    text: withSpec("exemptions:\n  - kinds: [Service]\n    rules: ['*']"),
    problem:
      "policies/x.yaml: spec.exemptions[0].kinds[0]: must be one of ContainerPatch, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Namespace",
  },
  {
    name: "exemption without rules",
    text: withSpec("exemptions:\n  - namespaces: [legacy]"),
    problem: "policies/x.yaml: spec.exemptions[0].rules: is required",
  },
  {
    name: "selector operator misspelled",
    text: withSpec("exemptions:\n  - objectSelector: {matchExpressions: [{key: team, operator: in, values: [a]}]}\n    rules: ['*']"),
    problem:
      "policies/x.yaml: spec.exemptions[0].objectSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist",
  },
  {
    name: "label value that is not a string",
    text: withSpec("exemptions:\n  - objectSelector: {matchLabels: {legacy: true}}\n    rules: ['*']"),
    problem: "policies/x.yaml: spec.exemptions[0].objectSelector.matchLabels.legacy: must be a string",
  },
  {
    name: "custom rule target unknown",
    text: withSpec("customRules:\n  - {id: r, target: pod, action: deny, message: m, schema: {}}"),
    problem: "policies/x.yaml: spec.customRules[0].target: must be one of containerpatch, workload, sidecar, init",
  },
  {
    name: "custom rule id not a DNS label",
    text: withSpec("customRules:\n  - {id: My_Rule, target: workload, action: deny, message: m, schema: {}}"),
    problem:
      "policies/x.yaml: spec.customRules[0].id: must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
  },
  {
    name: "custom rule without message",
    text: withSpec("customRules:\n  - {id: r, target: workload, action: deny, schema: {}}"),
    problem: "policies/x.yaml: spec.customRules[0].message: is required",
  },
  // Semantic checks, after the schema:
  {
    name: "custom rule reusing a built-in id",
    text: withSpec("customRules:\n  - {id: patch-op, target: workload, action: deny, message: m, schema: {}}"),
    problem:
      "policies/x.yaml: spec.customRules[0].id: patch-op is a built-in rule id; pick another (set a built-in rule's action under spec.rules)",
  },
  {
    name: "custom rule ids repeated",
    text: withSpec(
      "customRules:\n  - {id: r, target: workload, action: deny, message: m, schema: {}}\n  - {id: r, target: sidecar, action: warn, message: m, schema: {}}",
    ),
    problem: "policies/x.yaml: spec.customRules[1].id: r is used by an earlier custom rule",
  },
  {
    name: "custom schema in another dialect",
    text: withSpec(
      "customRules:\n  - {id: r, target: workload, action: deny, message: m, schema: {$schema: 'http://json-schema.org/draft-07/schema#'}}",
    ),
    problem:
      'policies/x.yaml: spec.customRules[0].schema: custom rule r: $schema must be https://json-schema.org/draft/2020-12/schema (or left out), not "http://json-schema.org/draft-07/schema#"',
  },
  {
    name: "quantity keyword with a bad limit",
    text: withSpec("customRules:\n  - {id: r, target: sidecar, action: deny, message: m, schema: {quantityMaximum: 1GB}}"),
    problem: 'policies/x.yaml: spec.customRules[0].schema: custom rule r: quantityMaximum: "1GB" is not a Kubernetes quantity',
  },
  {
    name: "custom schema that does not compile",
    text: withSpec("customRules:\n  - {id: r, target: sidecar, action: deny, message: m, schema: {$ref: '#/$defs/nowhere'}}"),
    problem: "policies/x.yaml: spec.customRules[0].schema: custom rule r: can't resolve reference #/$defs/nowhere from id #",
  },
  {
    name: "exemption naming an unknown rule",
    text: withSpec("exemptions:\n  - namespaces: [legacy]\n    rules: [direct-acess]"),
    problem: "policies/x.yaml: spec.exemptions[0].rules[0]: direct-acess is neither a built-in rule id nor a custom rule of this policy",
  },
  {
    name: "exemption without any selector",
    text: withSpec("exemptions:\n  - rules: ['*']"),
    problem:
      "policies/x.yaml: spec.exemptions[0]: needs at least one of namespaces, namespacePatterns, names, kinds, objectSelector (an entry without one would exempt every object)",
  },
  {
    name: "In without values",
    text: withSpec("exemptions:\n  - objectSelector: {matchExpressions: [{key: team, operator: In}]}\n    rules: ['*']"),
    problem: "policies/x.yaml: spec.exemptions[0].objectSelector.matchExpressions[0].values: must not be empty for operator In",
  },
  {
    name: "Exists with values",
    text: withSpec("exemptions:\n  - objectSelector: {matchExpressions: [{key: team, operator: Exists, values: [a]}]}\n    rules: ['*']"),
    problem: "policies/x.yaml: spec.exemptions[0].objectSelector.matchExpressions[0].values: must be empty for operator Exists",
  },
  {
    name: "the control-plane namespace exempt from every rule",
    text: withSpec("exemptions:\n  - namespaces: [kube-system, kuma-system]\n    rules: ['*']"),
    problem:
      "policies/x.yaml: spec.exemptions[0]: exempts every ContainerPatch in the control-plane namespace kuma-system from all rules; Kuma reads its patches there, so they must be checked (list the rules to skip, or narrow the entry with kinds, names or objectSelector)",
  },
  {
    name: "a pattern covering the control-plane namespace",
    text: withSpec("controlPlaneNamespaces: [mesh-cp]\nexemptions:\n  - namespacePatterns: ['mesh-*']\n    rules: ['*']"),
    problem:
      "policies/x.yaml: spec.exemptions[0]: exempts every ContainerPatch in the control-plane namespace mesh-cp from all rules; Kuma reads its patches there, so they must be checked (list the rules to skip, or narrow the entry with kinds, names or objectSelector)",
  },
  // YAML itself:
  {
    name: "YAML syntax error",
    text: `${HEAD}spec:\n  rules: [1\n  onError: allow\n`,
    problem: "policies/x.yaml:6:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
  },
  { name: "empty file", text: "# nothing yet\n", problem: "policies/x.yaml: the file is empty; expected a kuma-guard.io/v1alpha1 Policy" },
  {
    name: "two documents",
    text: `${HEAD}spec: {}\n---\n${HEAD}spec: {}\n`,
    problem: "policies/x.yaml: holds 2 YAML documents; a policy file holds exactly one Policy",
  },
];

for (const c of schemaCases) {
  test(`rejected: ${c.name}`, async () => {
    const problems = await problemsOf(c.text);
    assert.ok(problems.includes(c.problem), `expected\n  ${c.problem}\ngot\n  ${problems.join("\n  ")}`);
  });
}

// Accepted, possibly with a load warning.
const acceptedCases = [
  {
    name: "a control-plane exemption for named rules",
    text: withSpec("exemptions:\n  - namespaces: [kuma-system]\n    rules: [patch-empty]"),
    warnings: [],
  },
  {
    name: "a control-plane exemption limited to workloads",
    text: withSpec("exemptions:\n  - namespaces: [kuma-system]\n    kinds: [Deployment]\n    rules: ['*']"),
    warnings: [],
  },
  {
    name: "a control-plane exemption narrowed by name",
    text: withSpec("exemptions:\n  - namespaces: [kuma-system]\n    names: ['debug-*']\n    rules: ['*']"),
    warnings: [
      "policies/x.yaml: spec.exemptions[0]: exempts some ContainerPatches in the control-plane namespace kuma-system from all rules; Kuma applies them to every pod that names them",
    ],
  },
  {
    name: "JSON instead of YAML",
    text: JSON.stringify({ apiVersion: "kuma-guard.io/v1alpha1", kind: "Policy", spec: { onError: "deny" } }),
    warnings: [],
  },
  {
    name: "custom schema declaring 2020-12",
    text: withSpec(
      "customRules:\n  - {id: r, target: workload, action: deny, message: m, schema: {$schema: 'https://json-schema.org/draft/2020-12/schema'}}",
    ),
    warnings: [],
  },
];

for (const c of acceptedCases) {
  test(`accepted: ${c.name}`, async () => {
    const { parsePolicy } = await import("../src/policy/load.js");
    const policy = await parsePolicy(c.text, "policies/x.yaml");
    assert.deepEqual(policy.warnings, c.warnings);
  });
}

test("a policy without metadata.name is named after its file", async () => {
  const { parsePolicy } = await import("../src/policy/load.js");
  const policy = await parsePolicy("apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nspec: {}\n", "/etc/kuma-guard/prod.yaml");
  assert.equal(policy.name, "prod");
  assert.equal(policy.source, "/etc/kuma-guard/prod.yaml");
});

test("an unreadable file is a load error naming it", async () => {
  await assert.rejects(loadPolicy("/nonexistent/policy.yaml"), (e: unknown) => {
    assert.ok(e instanceof PolicyLoadError);
    assert.deepEqual(e.problems, ["/nonexistent/policy.yaml: cannot read the policy file: no such file"]);
    return true;
  });
});

test("the schema's rule-id enum is exactly the built-in rules, in order", async () => {
  const schema = JSON.parse(await readFile(new URL("schemas/policy.schema.json", REPO_ROOT), "utf8")) as {
    $defs: { ruleId: { enum: string[] } };
  };
  assert.deepEqual(schema.$defs.ruleId.enum, [...BUILT_IN_RULE_IDS]);
});

test("every bundled policy loads cleanly", async () => {
  const dir = new URL("policies/", REPO_ROOT);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 3, files.join(", "));
  for (const file of files) {
    const policy = await loadPolicy(fileURLToPath(new URL(file, dir)));
    assert.deepEqual(policy.warnings, [], file);
  }
});

test("policies/default.yaml is the built-in default document, and is what loads without --policy", async () => {
  const path = await bundledPolicyPath();
  assert.equal(path, fileURLToPath(new URL("policies/default.yaml", REPO_ROOT)));
  assert.deepEqual(parse(await readFile(path, "utf8")), DEFAULT_POLICY_DOCUMENT);
  const loaded = await loadPolicy();
  const builtIn = createDefaultPolicy();
  assert.equal(loaded.name, "default");
  assert.deepEqual(loaded.settings, builtIn.settings);
  assert.equal(loaded.onError, "allow");
  assert.equal(loaded.templates, KUMA_TEMPLATES);
  assert.deepEqual(
    loaded.rules.map((r) => r.id),
    [...BUILT_IN_RULE_IDS],
  );
});

test("templates: a JSON merge patch over Kuma's containers, frozen, computed once", async () => {
  const policy = await parsedPolicy({
    templates: {
      sidecar: { resources: { limits: { cpu: "1", memory: "1Gi" } }, livenessProbe: null, args: ["run", "--log-level=debug"] },
      init: { securityContext: { capabilities: { add: ["NET_ADMIN"] } } },
    },
  });
  const { sidecar, init } = policy.templates as { sidecar: Record<string, any>; init: Record<string, any> };
  assert.deepEqual(sidecar.resources, {
    requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "50M" },
    limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1G" },
  });
  assert.equal("livenessProbe" in sidecar, false, "null deletes");
  assert.deepEqual(sidecar.args, ["run", "--log-level=debug"], "arrays are replaced");
  assert.deepEqual(init.securityContext.capabilities, { add: ["NET_ADMIN"], drop: ["ALL"] });
  assert.equal(sidecar.readinessProbe, KUMA_TEMPLATES.sidecar.readinessProbe, "untouched parts are shared");
  assert.ok(Object.isFrozen(sidecar.resources.limits));
  assert.equal((KUMA_TEMPLATES.sidecar as Record<string, any>).resources.limits.cpu, undefined, "the built-in model is unchanged");
  assert.equal(policy.templates, policy.templates);
});

test("the worked example of docs/policies.md loads", async () => {
  const { parsePolicy } = await import("../src/policy/load.js");
  const doc = await readFile(new URL("docs/policies.md", REPO_ROOT), "utf8");
  const example = doc.slice(doc.indexOf("## Worked example")).match(/```yaml\n([\s\S]*?)```/)?.[1];
  assert.ok(example, "a yaml block after ## Worked example");
  const policy = await parsePolicy(example, "docs/policies.md");
  assert.deepEqual(policy.customRuleIds, ["sidecar-memory-limit"]);
  assert.deepEqual(policy.warnings, []);
});

test("schemas/policy.schema.json is a valid JSON Schema 2020-12 (the loader skips that check at start-up)", async () => {
  const schema = JSON.parse(await readFile(new URL("schemas/policy.schema.json", REPO_ROOT), "utf8")) as object;
  const ajv = new Ajv2020({ strict: false });
  assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
});
