import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CONTAINER_TYPE, CONTAINER_TYPES } from "../src/kuma/container-fields.js";
import { unknownFields, validateContainer } from "../src/kuma/container-validation.js";
import { KUMA_TEMPLATES } from "../src/kuma/templates.js";
import type { JsonObject } from "../src/rules/types.js";

const sidecar = (): JsonObject => structuredClone(KUMA_TEMPLATES.sidecar) as JsonObject;
const with_ = (mutate: (c: Record<string, any>) => void): JsonObject => {
  const c = sidecar();
  mutate(c);
  return c;
};

test("Kuma's rendered containers are valid", () => {
  assert.deepEqual(validateContainer(KUMA_TEMPLATES.sidecar), []);
  assert.deepEqual(validateContainer(KUMA_TEMPLATES.init), []);
});

// Kubernetes: pkg/apis/core/validation/validation.go and the OpenAPI Container schema.
const rows: { name: string; container: JsonObject; pointer: string; message: RegExp }[] = [
  {
    name: "string where a boolean belongs (Kuma's unmarshal fails)",
    container: with_((c) => (c.securityContext.privileged = "true")),
    pointer: "/securityContext/privileged",
    message: /must be boolean/,
  },
  {
    name: "enum outside its values",
    container: with_((c) => (c.imagePullPolicy = "Sometimes")),
    pointer: "/imagePullPolicy",
    message: /not one of Always, IfNotPresent, Never/,
  },
  {
    name: "required field missing",
    container: with_((c) => c.env.push({ value: "x" })),
    pointer: `/env/${(KUMA_TEMPLATES.sidecar.env as unknown[]).length}/name`,
    message: /is required/,
  },
  {
    name: "quantity that does not parse",
    container: with_((c) => (c.resources.requests.cpu = "100 m")),
    pointer: "/resources/requests/cpu",
    message: /not a quantity/,
  },
  {
    name: "request above its limit",
    container: with_((c) => (c.resources.requests.memory = "1Gi")),
    pointer: "/resources/requests/memory",
    message: /less than or equal to the memory limit of 512Mi/,
  },
  {
    name: "container port out of range",
    container: with_((c) => (c.ports = [{ containerPort: 70000 }])),
    pointer: "/ports/0/containerPort",
    message: /between 1 and 65535/,
  },
  { name: "name that is not a DNS label", container: with_((c) => (c.name = "Kuma_Sidecar")), pointer: "/name", message: /DNS label/ },
  {
    name: "probe with two handlers",
    container: with_((c) => (c.livenessProbe.exec = { command: ["true"] })),
    pointer: "/livenessProbe",
    message: /more than 1 handler/,
  },
  {
    name: "privileged with allowPrivilegeEscalation false",
    container: with_((c) => (c.securityContext.privileged = true)),
    pointer: "/securityContext",
    message: /add \/securityContext\/allowPrivilegeEscalation "true"/,
  },
  {
    name: "CAP_SYS_ADMIN with allowPrivilegeEscalation false",
    container: with_((c) => (c.securityContext.capabilities.add = ["CAP_SYS_ADMIN"])),
    pointer: "/securityContext/capabilities/add",
    message: /CAP_SYS_ADMIN/,
  },
];
for (const row of rows) {
  test(`validateContainer: ${row.name}`, () => {
    const problems = validateContainer(row.container);
    assert.ok(
      problems.some((p) => p.pointer === row.pointer && row.message.test(p.message)),
      JSON.stringify(problems),
    );
  });
}

// The API server compares the literal string: SYS_ADMIN without the CAP_ prefix passes.
test("SYS_ADMIN without the CAP_ prefix is not the API server's check", () => {
  assert.deepEqual(validateContainer(with_((c) => (c.securityContext.capabilities.add = ["SYS_ADMIN"]))), []);
});

test("unknown fields are found with a did-you-mean; known ones are not", () => {
  const c = with_((c) => {
    c.securityContext.privilegd = true;
    c.securityContxt = { runAsUser: 1 };
    c.resources.limits.cpu = "1"; // resources are a map: any name is a field
  });
  assert.deepEqual(unknownFields(c), [
    { pointer: "/securityContext/privilegd", key: "privilegd", suggestion: "privileged" },
    { pointer: "/securityContxt", key: "securityContxt", suggestion: "securityContext" },
  ]);
  assert.deepEqual(unknownFields(KUMA_TEMPLATES.init), []);
});

const unknownRows: { name: string; container: Record<string, unknown>; found: { pointer: string; key: string; suggestion?: string }[] }[] =
  [
    {
      name: "a field that differs in case",
      container: { name: "c", ImagePullPolicy: "Always" },
      found: [{ pointer: "/ImagePullPolicy", key: "ImagePullPolicy", suggestion: "imagePullPolicy" }],
    },
    {
      name: "two characters swapped",
      container: { name: "c", imgae: "x" },
      found: [{ pointer: "/imgae", key: "imgae", suggestion: "image" }],
    },
    { name: "two edits away: no suggestion", container: { name: "c", imaaage: "x" }, found: [{ pointer: "/imaaage", key: "imaaage" }] },
    {
      name: "a key inside a list item",
      container: { name: "c", env: [{ name: "A" }, { nmae: "B" }] },
      found: [{ pointer: "/env/1/nmae", key: "nmae", suggestion: "name" }],
    },
    { name: "a key with a slash is escaped in the pointer", container: { name: "c", "a/b": 1 }, found: [{ pointer: "/a~1b", key: "a/b" }] },
    { name: "an unknown key holding null", container: { name: "c", extra: null }, found: [{ pointer: "/extra", key: "extra" }] },
    { name: "an unknown key holding only empty objects drops nothing", container: { name: "c", extra: { a: {} } }, found: [] },
    { name: "any resource name is a field", container: { name: "c", resources: { limits: { "example.com/gpu": "1" } } }, found: [] },
    {
      name: "an object where a string belongs: its keys are unknown",
      container: { name: "c", image: { repository: "x" } },
      found: [{ pointer: "/image/repository", key: "repository" }],
    },
    {
      name: "a list where an object belongs: its items' keys are unknown",
      container: { name: "c", securityContext: [{ privileged: true }] },
      found: [{ pointer: "/securityContext/0/privileged", key: "privileged" }],
    },
  ];
for (const row of unknownRows) test(`unknown fields: ${row.name}`, () => assert.deepEqual(unknownFields(row.container), row.found));

// The field table (src/kuma/container-fields.ts) is generated from kubernetes-models'
// declarations; its validator must know every field the table lists, at every depth.
test("the Container validator knows every field of the field table", () => {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("kubernetes-models/package.json"));
  const { validate } = require(join(root, "_schemas", "IoK8sApiCoreV1Container.js")) as {
    validate: ((data: unknown) => boolean) & { errors?: { instancePath: string }[] | null };
  };
  const probe = (): void => undefined; // no schema type accepts a function: every known field reports it
  const pointers: string[] = [];
  const fill = (shape: string, pointer: string, seen: ReadonlySet<string>): unknown => {
    if (shape.startsWith("[")) return [fill(shape.slice(1, -1), `${pointer}/0`, seen)];
    if (shape.startsWith("{")) return { k: fill(shape.slice(1, -1), `${pointer}/k`, seen) };
    const fields = CONTAINER_TYPES[shape];
    if (!fields || seen.has(shape)) {
      pointers.push(pointer);
      return probe;
    }
    return Object.fromEntries(
      Object.entries(fields).map(([key, child]) => [key, fill(child, `${pointer}/${key}`, new Set([...seen, shape]))]),
    );
  };
  const container = fill(CONTAINER_TYPE, "", new Set());
  validate(container);
  const reported = new Set((validate.errors ?? []).map((error) => error.instancePath));
  assert.ok(pointers.length > 100, `${pointers.length} leaves`);
  assert.deepEqual(
    pointers.filter((pointer) => !reported.has(pointer)),
    [],
  );
});
