// The control plane's injector settings: config.yaml over Kuma's defaults, KUMA_* env vars over both
// (pkg/config/loader.go), and what they change in the rendered containers and the patch simulation.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { INJECTOR_ENV_VARS, injectorSettingsFromEnv, parseControlPlaneConfig } from "../src/kuma/control-plane-config.js";
import { kumaModelFor } from "../src/kuma/versions/index.js";
import type { InjectorSettings, KumaModel } from "../src/kuma/versions/index.js";
import type { ContainerPatchSubject } from "../src/rules/types.js";
import { contextFor, subjectOf } from "./support/context.js";

const kuma = (version: string): KumaModel => {
  const found = kumaModelFor(version);
  if ("error" in found) throw new Error(found.error);
  return found.value;
};
const settingsOf = (result: { value: InjectorSettings } | { error: string }): InjectorSettings => {
  if ("error" in result) throw new Error(result.error);
  return result.value;
};

// The shape of the Helm chart's kuma-control-plane-config ConfigMap data (controlPlane.config value).
const HELM_CONFIG = `
# use this file to override default configuration of \`kuma-cp\`
runtime:
  kubernetes:
    injector:
      containerPatches: [no-privilege, seccomp]
      sidecarContainer:
        uid: 6000
        drainTime: 90s
        envVars:
          KUMA_DATAPLANE_RUNTIME_DYNAMIC_CONFIGURATION_REFRESH_INTERVAL: 5s
        resources:
          requests: { cpu: 100m, memory: 128Mi }
          limits: { cpu: "2", memory: 1Gi }
      sidecarTraffic:
        excludeOutboundPorts: [5432]
experimental:
  sidecarContainers: false
`;

test("config.yaml: sidecar resources, uid, env, drain time and default patches flow into the rendered containers", () => {
  const model = kuma("2.14");
  const settings = settingsOf(parseControlPlaneConfig(HELM_CONFIG, model));
  assert.deepEqual(settings.containerPatches, ["no-privilege", "seccomp"]);
  const { sidecar, init } = model.render(settings) as Record<string, any>;
  assert.deepEqual(sidecar.resources, {
    requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "50M" },
    limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": "1G" },
  });
  assert.deepEqual(sidecar.args, ["run", "--log-level=info", "--concurrency=2"]);
  assert.equal(sidecar.securityContext.runAsUser, 6000);
  assert.equal(sidecar.startupProbe, undefined, "native sidecars turned off");
  const env = Object.fromEntries(sidecar.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
  assert.equal(env.KUMA_DATAPLANE_DRAIN_TIME, "1m30s", "Go's Duration.String()");
  assert.equal(env.KUMA_DATAPLANE_RUNTIME_DYNAMIC_CONFIGURATION_REFRESH_INTERVAL, "5s");
  assert.deepEqual(init.args, [
    "--kuma-dp-user=6000",
    "--exclude-outbound-ports=5432",
    "--exclude-inbound-ports=9902,9001",
    "--redirect-all-dns-traffic",
    "--verbose",
  ]);
});

test("environment variables win over config.yaml, with Kuma's own variable names", () => {
  const model = kuma("2.14");
  const fromFile = settingsOf(parseControlPlaneConfig(HELM_CONFIG, model));
  const settings = settingsOf(
    injectorSettingsFromEnv(
      {
        KUMA_RUNTIME_KUBERNETES_INJECTOR_CONTAINER_PATCHES: "from-env",
        KUMA_INJECTOR_SIDECAR_CONTAINER_RESOURCES_LIMITS_MEMORY: "2Gi", // not KUMA_RUNTIME_KUBERNETES_…
        KUMA_RUNTIME_KUBERNETES_INJECTOR_SIDECAR_CONTAINER_GUI: "6001", // sic: the gid's tag is …_GUI
        KUMA_RUNTIME_KUBERNETES_INJECTOR_SIDECAR_CONTAINER_ENV_VARS: "A:1,B:x:y",
        KUMA_EXPERIMENTAL_SIDECAR_CONTAINERS: "True",
        KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE: "mesh-system",
        PATH: "/usr/bin",
      },
      fromFile,
    ),
  );
  assert.deepEqual(settings.containerPatches, ["from-env"]);
  assert.equal(settings.sidecarContainer.resources.limits.memory, "2Gi");
  assert.equal(settings.sidecarContainer.resources.limits.cpu, "2", "untouched by env");
  assert.equal(settings.sidecarContainer.gid, 6001);
  assert.deepEqual(settings.sidecarContainer.envVars, { A: "1", B: "x:y" });
  assert.equal(settings.sidecarContainers, true);
  assert.equal(settings.controlPlaneUrl, "https://kuma-control-plane.mesh-system:5678");
});

test('env lists split on "," without trimming, as envconfig does', () => {
  const settings = settingsOf(
    injectorSettingsFromEnv({ KUMA_RUNTIME_KUBERNETES_INJECTOR_CONTAINER_PATCHES: "a, b" }, kuma("2.13").defaults),
  );
  assert.deepEqual(settings.containerPatches, ["a", " b"]);
});

const errorRows: { name: string; run: () => { value: InjectorSettings } | { error: string }; message: RegExp }[] = [
  {
    name: "uid as text",
    run: () => parseControlPlaneConfig("runtime: {kubernetes: {injector: {sidecarContainer: {uid: abc}}}}", kuma("2.14")),
    message: /^runtime\.kubernetes\.injector\.sidecarContainer\.uid: must be a number, got "abc"$/,
  },
  {
    name: "cpu that is no quantity",
    run: () =>
      parseControlPlaneConfig("runtime: {kubernetes: {injector: {sidecarContainer: {resources: {limits: {cpu: lots}}}}}}", kuma("2.14")),
    message: /sidecarContainer\.resources\.limits\.cpu: "lots" is not a Kubernetes quantity/,
  },
  {
    name: "drain time without unit",
    run: () => parseControlPlaneConfig("runtime: {kubernetes: {injector: {sidecarContainer: {drainTime: '30'}}}}", kuma("2.11")),
    message: /sidecarContainer\.drainTime: .*missing unit/,
  },
  {
    name: "patch list that is a string",
    run: () => parseControlPlaneConfig("runtime: {kubernetes: {injector: {containerPatches: p1}}}", kuma("2.13")),
    message: /containerPatches: must be a list of strings/,
  },
  {
    name: "port out of range",
    run: () => parseControlPlaneConfig("runtime: {kubernetes: {injector: {sidecarTraffic: {excludeInboundPorts: [-1]}}}}", kuma("2.13")),
    message: /excludeInboundPorts: must be between 0 and 4294967295/,
  },
  { name: "YAML syntax error", run: () => parseControlPlaneConfig("runtime: [", kuma("2.14")), message: /^control-plane config\.yaml: / },
  { name: "a list instead of a mapping", run: () => parseControlPlaneConfig("- a", kuma("2.14")), message: /must be a mapping/ },
  {
    name: "env bool",
    run: () => injectorSettingsFromEnv({ KUMA_RUNTIME_KUBERNETES_INJECTOR_CNI_ENABLED: "yes" }, kuma("2.14").defaults),
    message: /^environment variable KUMA_RUNTIME_KUBERNETES_INJECTOR_CNI_ENABLED: strconv\.ParseBool: parsing "yes": invalid syntax$/,
  },
  {
    name: "env port list",
    run: () =>
      injectorSettingsFromEnv({ KUMA_RUNTIME_KUBERNETES_SIDECAR_TRAFFIC_EXCLUDE_OUTBOUND_PORTS: "80, 443" }, kuma("2.14").defaults),
    message: /EXCLUDE_OUTBOUND_PORTS: parsing " 443"/,
  },
  {
    name: "env map item without a colon",
    run: () => injectorSettingsFromEnv({ KUMA_RUNTIME_KUBERNETES_INJECTOR_SIDECAR_CONTAINER_ENV_VARS: "A=1" }, kuma("2.14").defaults),
    message: /invalid map item: "A=1"/,
  },
];
for (const row of errorRows) {
  test(`error names the field: ${row.name}`, () => {
    const result = row.run();
    assert.match("error" in result ? result.error : "(no error)", row.message);
  });
}

test("an empty config.yaml (the Helm chart's default) leaves the Helm defaults", () => {
  const model = kuma("2.13");
  assert.deepEqual(
    settingsOf(parseControlPlaneConfig("# use this file to override default configuration of `kuma-cp`\n", model)),
    model.helmDefaults,
  );
});

test("parsers are total: any text and any env values give settings or an error, never an exception", () => {
  const model = kuma("2.14");
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      const result = parseControlPlaneConfig(text, model);
      assert.ok("value" in result || typeof result.error === "string");
    }),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...INJECTOR_ENV_VARS), fc.string({ maxLength: 16 })), (env) => {
      const result = injectorSettingsFromEnv(env, model.defaults);
      assert.ok("value" in result || typeof result.error === "string");
    }),
  );
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const result = parseControlPlaneConfig(JSON.stringify({ runtime: { kubernetes: { injector: value } } }), model);
      assert.ok("value" in result || typeof result.error === "string");
    }),
  );
});

// A patch valid on one minor and invalid on another: `replace` needs the key to exist, and the
// sidecar's cpu limit exists in 2.13 (config default 1000m) but not in 2.14 (default "0": left out).
test("the same ContainerPatch applies on 2.13 and fails on 2.14 (no cpu limit to replace)", () => {
  const patch = subjectOf({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name: "cpu-limit", namespace: "kuma-system" },
    spec: { sidecarPatch: [{ op: "replace", path: "/resources/limits/cpu", value: '"500m"' }] },
  }) as ContainerPatchSubject;
  const on = (version: string) => contextFor(patch, { templates: kuma(version).templates(kuma(version).helmDefaults) }).simulation.sidecar;
  assert.equal(on("2.13").failure, undefined);
  assert.equal((on("2.13").container.resources as any).limits.cpu, "500m");
  assert.match(on("2.14").failure?.message ?? "", /replace operation does not apply/);
});

test("a sidecar cpu limit set in the control plane's config makes the 2.14 patch apply", () => {
  const model = kuma("2.14");
  const settings = settingsOf(
    parseControlPlaneConfig("runtime: {kubernetes: {injector: {sidecarContainer: {resources: {limits: {cpu: '1'}}}}}}", model),
  );
  const patch = subjectOf({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name: "cpu-limit", namespace: "kuma-system" },
    spec: { sidecarPatch: [{ op: "replace", path: "/resources/limits/cpu", value: '"500m"' }] },
  }) as ContainerPatchSubject;
  assert.equal(contextFor(patch, { templates: model.templates(settings) }).simulation.sidecar.failure, undefined);
});
