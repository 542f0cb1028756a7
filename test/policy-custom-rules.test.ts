import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { review } from "../src/admission/review.js";
import type { AdmissionRequest } from "../src/admission/types.js";
import { loadPolicy } from "../src/policy/load.js";
import type { Policy } from "../src/policy/types.js";
import type { StoredContainerPatch } from "../src/rules/types.js";
import { admissionReview } from "./support/app.js";
import { catalogOf, loadFixture, REPO_ROOT } from "./support/context.js";
import { parsedPolicy } from "./support/policy-docs.js";
import { createSnapshot } from "../src/snapshot.js";

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: unknown };
const fixture = (name: string) => loadFixture(`policy/${name}.yaml`)[0] as K8sObject;
const stored = (object: K8sObject): StoredContainerPatch => ({
  name: object.metadata.name,
  namespace: object.metadata.namespace ?? "",
  spec: object.spec as StoredContainerPatch["spec"],
});
const requestOf = (object: K8sObject) => admissionReview(object).request as unknown as AdmissionRequest;

const MEMORY_2GI = fixture("sidecar-memory-2gi");
const INIT_100M = fixture("init-memory-100m");
const NET_ADMIN = fixture("sidecar-net-admin");
const WEB = fixture("web-deployment");

const strict = loadPolicy(fileURLToPath(new URL("policies/strict.yaml", REPO_ROOT)));

/** "rule-id: message" of every finding of these rules, with the bucket it landed in. */
function findingsOf(policy: Policy, object: K8sObject, ids: readonly string[], patches: readonly K8sObject[] = []) {
  const verdict = review(requestOf(object), { snapshot: createSnapshot(policy, catalogOf(patches.map(stored))) });
  const pick = (bucket: "denials" | "warnings" | "audits") =>
    verdict[bucket].filter((f) => ids.includes(f.ruleId)).map((f) => `${bucket}: ${f.ruleId}: ${f.message}${f.path ? ` @ ${f.path}` : ""}`);
  return [...pick("denials"), ...pick("warnings"), ...pick("audits")];
}

const withSidecarMemory = (memory: string, op = "replace"): K8sObject => ({
  ...MEMORY_2GI,
  metadata: { name: "sidecar-memory", namespace: "kuma-system" },
  spec: { sidecarPatch: [{ op, path: "/resources/limits/memory", value: JSON.stringify(memory) }] },
});
const webUsing = (patches: string): K8sObject => {
  const web = structuredClone(WEB) as K8sObject & { spec: { template: { metadata: { annotations: Record<string, string> } } } };
  web.spec.template.metadata.annotations["kuma.io/container-patches"] = patches;
  return web;
};

const SIDECAR_MESSAGE = "the sidecar needs a memory limit of at most 1Gi";
/** The rule of policies/strict.yaml, for policies with other settings. */
const SIDECAR_RULE = {
  id: "sidecar-memory-limit",
  target: "sidecar",
  action: "deny",
  message: SIDECAR_MESSAGE,
  schema: {
    type: "object",
    required: ["resources"],
    properties: {
      resources: {
        type: "object",
        required: ["limits"],
        properties: { limits: { type: "object", required: ["memory"], properties: { memory: { quantityMaximum: "1Gi" } } } },
      },
    },
  },
};

// target: sidecar — the container after template, default patches and the workload's/this patch.
const sidecarCases: { name: string; object: K8sObject; catalog?: K8sObject[]; defaults?: string[]; found: string[] }[] = [
  {
    name: "ContainerPatch raising the limit to 2Gi",
    object: MEMORY_2GI,
    found: [`denials: sidecar-memory-limit: ${SIDECAR_MESSAGE} (resources.limits.memory: must be <= 1Gi)`],
  },
  { name: "ContainerPatch setting exactly 1Gi", object: withSidecarMemory("1Gi"), found: [] },
  { name: "ContainerPatch setting 1024Mi (equal by value)", object: withSidecarMemory("1024Mi"), found: [] },
  {
    name: "ContainerPatch setting 1.5Gi",
    object: withSidecarMemory("1.5Gi"),
    found: [`denials: sidecar-memory-limit: ${SIDECAR_MESSAGE} (resources.limits.memory: must be <= 1Gi)`],
  },
  {
    name: "ContainerPatch removing the limit",
    object: { ...MEMORY_2GI, spec: { sidecarPatch: [{ op: "remove", path: "/resources/limits/memory" }] } },
    found: [`denials: sidecar-memory-limit: ${SIDECAR_MESSAGE} (resources.limits.memory: is required)`],
  },
  {
    name: "ContainerPatch that does not apply (patch-apply's finding, not ours)",
    object: {
      ...MEMORY_2GI,
      spec: {
        sidecarPatch: [
          { op: "replace", path: "/securityContext/privileged", value: "false" },
          { op: "replace", path: "/resources/limits/memory", value: '"2Gi"' },
        ],
      },
    },
    found: [],
  },
  {
    name: "Deployment naming the 2Gi patch",
    object: WEB,
    catalog: [MEMORY_2GI],
    found: [`denials: sidecar-memory-limit: ${SIDECAR_MESSAGE} (resources.limits.memory: must be <= 1Gi)`],
  },
  { name: "Deployment naming no patch", object: webUsing(""), catalog: [MEMORY_2GI], found: [] },
  {
    name: "Deployment receiving the 2Gi patch as a default patch",
    object: webUsing(""),
    catalog: [MEMORY_2GI],
    defaults: ["sidecar-memory-2gi"],
    found: [`denials: sidecar-memory-limit: ${SIDECAR_MESSAGE} (resources.limits.memory: must be <= 1Gi)`],
  },
  {
    name: "Deployment naming the 2Gi patch, then one lowering it again",
    object: webUsing("sidecar-memory-2gi,sidecar-memory"),
    catalog: [MEMORY_2GI, withSidecarMemory("768Mi")],
    found: [],
  },
];

for (const c of sidecarCases) {
  test(`custom rule, target sidecar: ${c.name}`, async () => {
    const base = await strict;
    const policy = c.defaults ? await parsedPolicy({ defaultContainerPatches: c.defaults, customRules: [SIDECAR_RULE] }) : base;
    assert.deepEqual(findingsOf(policy, c.object, ["sidecar-memory-limit"], c.catalog), c.found);
  });
}

test("custom rule, target init: kuma-init after the patches", async () => {
  const policy = await parsedPolicy({
    customRules: [
      {
        id: "init-memory",
        target: "init",
        action: "warn",
        message: "kuma-init stays small",
        schema: { properties: { resources: { properties: { limits: { properties: { memory: { quantityMaximum: "64M" } } } } } } },
      },
    ],
  });
  assert.deepEqual(findingsOf(policy, INIT_100M, ["init-memory"]), [
    "warnings: init-memory: kuma-init stays small (resources.limits.memory: must be <= 64M)",
  ]);
  assert.deepEqual(findingsOf(policy, webUsing("init-memory-100m"), ["init-memory"], [INIT_100M]), [
    "warnings: init-memory: kuma-init stays small (resources.limits.memory: must be <= 64M)",
  ]);
  assert.deepEqual(findingsOf(policy, MEMORY_2GI, ["init-memory"]), [], "a sidecar-only patch leaves kuma-init at 50M");
});

// target: containerpatch — blocks carry valueParsed.
const capabilityCases: { name: string; blocks: unknown[]; found: string[] }[] = [
  {
    name: "add to capabilities.add",
    blocks: [{ op: "add", path: "/securityContext/capabilities/add", value: '["NET_ADMIN"]' }],
    found: [
      "denials: no-added-capabilities: a ContainerPatch must not add Linux capabilities (spec.sidecarPatch[0]: is not allowed) @ spec.sidecarPatch[0]",
    ],
  },
  {
    name: "append one capability",
    blocks: [
      { op: "remove", path: "/resources/limits/memory" },
      { op: "add", path: "/securityContext/capabilities/add/-", value: '"SYS_ADMIN"' },
    ],
    found: [
      "denials: no-added-capabilities: a ContainerPatch must not add Linux capabilities (spec.sidecarPatch[1]: is not allowed) @ spec.sidecarPatch[1]",
    ],
  },
  {
    name: "a securityContext whose parsed value carries capabilities.add",
    blocks: [{ op: "replace", path: "/securityContext", value: '{"capabilities":{"add":["NET_RAW"]}}' }],
    found: [
      "denials: no-added-capabilities: a ContainerPatch must not add Linux capabilities (spec.sidecarPatch[0]: is not allowed) @ spec.sidecarPatch[0]",
    ],
  },
  {
    name: "a securityContext without capabilities",
    blocks: [{ op: "replace", path: "/securityContext", value: '{"runAsNonRoot":true,"runAsUser":5678}' }],
    found: [],
  },
  { name: "dropping capabilities", blocks: [{ op: "add", path: "/securityContext/capabilities/drop/-", value: '"NET_RAW"' }], found: [] },
  { name: "removing the added capabilities", blocks: [{ op: "remove", path: "/securityContext/capabilities/add" }], found: [] },
];

for (const c of capabilityCases) {
  test(`custom rule, target containerpatch: ${c.name}`, async () => {
    const object = { ...NET_ADMIN, spec: { sidecarPatch: c.blocks } };
    assert.deepEqual(findingsOf(await strict, object, ["no-added-capabilities"]), c.found);
  });
}

test("custom rule, target containerpatch: valueParsed only when the value is JSON", async () => {
  const policy = await parsedPolicy({
    customRules: [
      {
        id: "json-values",
        target: "containerpatch",
        action: "deny",
        message: "values must be JSON strings",
        schema: {
          properties: {
            spec: {
              properties: {
                sidecarPatch: {
                  items: {
                    if: { required: ["value"] },
                    then: { required: ["valueParsed"], properties: { valueParsed: { type: "string" } } },
                  },
                },
              },
            },
          },
        },
      },
    ],
  });
  const patch = (value: string) => ({ ...NET_ADMIN, spec: { sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value }] } });
  assert.deepEqual(findingsOf(policy, patch('"100m"'), ["json-values"]), []);
  assert.deepEqual(findingsOf(policy, patch("100m"), ["json-values"]), [
    "denials: json-values: values must be JSON strings (spec.sidecarPatch[0].valueParsed: is required) @ spec.sidecarPatch[0]",
  ]);
  assert.deepEqual(findingsOf(policy, patch("100"), ["json-values"]), [
    "denials: json-values: values must be JSON strings (spec.sidecarPatch[0].valueParsed: must be a string) @ spec.sidecarPatch[0].value",
  ]);
});

test("custom rule, target workload: the pod template with the object's kind, name and namespace", async () => {
  const policy = await parsedPolicy({
    customRules: [
      {
        id: "needs-team",
        target: "workload",
        action: "deny",
        message: "pods need a team label",
        schema: { properties: { metadata: { required: ["labels"], properties: { labels: { required: ["team"] } } } } },
      },
      {
        id: "cpu-request",
        target: "workload",
        action: "audit",
        message: "containers request at least 10m CPU",
        schema: {
          properties: {
            spec: {
              properties: {
                containers: {
                  items: {
                    required: ["resources"],
                    properties: { resources: { properties: { requests: { properties: { cpu: { quantityMinimum: "10m" } } } } } },
                  },
                },
              },
            },
          },
        },
      },
      {
        id: "only-shop",
        target: "workload",
        action: "warn",
        message: "this cluster runs the shop",
        schema: {
          properties: {
            kind: { const: "Deployment" },
            metadata: { properties: { namespace: { const: "shop" }, name: { pattern: "^web" } } },
          },
        },
      },
    ],
  });
  const web = (cpu: unknown, labels: Record<string, string> = { app: "web" }) => {
    const object = structuredClone(WEB) as K8sObject & {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Record<string, unknown>[] } } };
    };
    object.spec.template.metadata.labels = labels;
    object.spec.template.spec.containers[0]!.resources = { requests: { cpu } };
    return object;
  };
  const ids = ["needs-team", "cpu-request", "only-shop"];
  // The Deployment's own label team=payments is not the template's.
  assert.deepEqual(findingsOf(policy, web("100m"), ids), [
    "denials: needs-team: pods need a team label (metadata.labels.team: is required) @ spec.template.metadata.labels",
  ]);
  assert.deepEqual(findingsOf(policy, web("100m", { app: "web", team: "a" }), ids), []);
  assert.deepEqual(findingsOf(policy, web(1, { team: "a" }), ids), [], "a number is a quantity");
  assert.deepEqual(findingsOf(policy, web("5m", { team: "a" }), ids), [
    "audits: cpu-request: containers request at least 10m CPU (spec.containers[0].resources.requests.cpu: must be >= 10m) @ spec.template.spec.containers[0].resources.requests.cpu",
  ]);
  assert.deepEqual(findingsOf(policy, web("lots", { team: "a" }), ids), [
    "audits: cpu-request: containers request at least 10m CPU (spec.containers[0].resources.requests.cpu: must be a Kubernetes quantity >= 10m) @ spec.template.spec.containers[0].resources.requests.cpu",
  ]);
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-0", namespace: "shop", labels: { team: "a" } },
    spec: { containers: [{ name: "web", image: "nginx" }] },
  };
  assert.deepEqual(findingsOf(policy, pod, ids), [
    "warnings: only-shop: this cluster runs the shop (kind: must be Deployment) @ kind",
    "audits: cpu-request: containers request at least 10m CPU (spec.containers[0].resources: is required) @ spec.containers[0]",
  ]);
});

test("custom rules are compiled once per load: each load has its own validators", async () => {
  const first = await parsedPolicy({
    customRules: [{ id: "r", target: "workload", action: "deny", message: "m", schema: { $id: "https://example.com/r", type: "object" } }],
  });
  const second = await parsedPolicy({
    customRules: [{ id: "r", target: "workload", action: "deny", message: "m", schema: { $id: "https://example.com/r", not: {} } }],
  });
  assert.deepEqual(findingsOf(first, WEB, ["r"]), []);
  assert.deepEqual(findingsOf(second, WEB, ["r"]), ["denials: r: m (is not allowed)"]);
  assert.deepEqual(first.customRuleIds, ["r"]);
  assert.equal(first.rules.at(-1)?.defaultAction, "deny");
});
