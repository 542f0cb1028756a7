import { test } from "node:test";
import assert from "node:assert/strict";
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
