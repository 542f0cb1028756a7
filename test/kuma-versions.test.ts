// Each supported Kuma minor's model against Kuma's own test data of its tag (test/fixtures/kuma/<tag>/,
// copied from kumahq/kuma): the injector golden file and kuma-cp's documented defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { REPO_ROOT } from "./support/context.js";
import { parseControlPlaneConfig } from "../src/kuma/control-plane-config.js";
import {
  DEFAULT_KUMA_VERSION,
  kumaModelFor,
  readsAnnotation,
  SUPPORTED_KUMA_VERSIONS,
  versionFromImage,
} from "../src/kuma/versions/index.js";
import type { InjectorSettings, KumaModel } from "../src/kuma/versions/index.js";
import { CA_CERT_PLACEHOLDER } from "../src/kuma/versions/render.js";
import { KUMA_TEMPLATES } from "../src/kuma/templates.js";

const fixture = (tag: string, file: string) => readFileSync(new URL(`test/fixtures/kuma/${tag}/${file}`, REPO_ROOT), "utf8");
const models = SUPPORTED_KUMA_VERSIONS.map((version) => {
  const found = kumaModelFor(version);
  assert.ok("value" in found);
  return found.value;
});

/** The settings of Kuma's injector test (injector_test.go of each tag): inject.config.yaml loaded into an
 *  empty Injector (absent fields are Go zero values), CA file set, admin port 9901, no admin socket. */
function injectorTestSettings(model: KumaModel, configFile = "inject.config.yaml"): InjectorSettings {
  const zero: InjectorSettings = {
    ...model.defaults,
    builtinDNS: { enabled: false, port: 0, logging: false, experimentalProxy: false },
    otelPipeEnabled: false,
    envoyAdminUnixSocket: false,
    sidecarContainers: false,
    caCertFile: "/tmp/ca.crt",
    controlPlaneUrl: "https://kuma-control-plane.kuma-system:5681",
  };
  const wrapped = JSON.stringify({ runtime: { kubernetes: { injector: parse(fixture(model.tag, configFile)) } } });
  const result = parseControlPlaneConfig(wrapped, model, zero);
  assert.ok("value" in result, "error" in result ? result.error : "");
  // The test passes http://…:5681 as the URL; our settings build https URLs, so compare the golden with it swapped.
  return result.value;
}

/** A container of the golden pod with what is pod- or test-specific replaced by kuma-guard's stand-ins. */
function goldenContainer(tag: string, file: string, list: "containers" | "initContainers", name: string): Record<string, unknown> {
  const pod = parse(fixture(tag, file)) as { spec: Record<string, Array<Record<string, any>>> };
  const container = structuredClone(pod.spec[list]!.find((c) => c.name === name)!);
  for (const env of container.env ?? []) {
    if (env.name === "KUMA_CONTROL_PLANE_CA_CERT") env.value = CA_CERT_PLACEHOLDER;
    if (env.name === "KUMA_CONTROL_PLANE_URL") env.value = "https://kuma-control-plane.kuma-system:5681";
  }
  for (const mount of container.volumeMounts ?? []) if (mount.name === "default-token-w7dxf") mount.name = "kube-api-access";
  // Set by the injector after ContainerPatches (native sidecars), so not part of the template.
  delete container.restartPolicy;
  delete container.lifecycle;
  return container;
}

for (const model of models) {
  test(`${model.version}: kuma-sidecar and kuma-init equal Kuma's inject.01.golden.yaml (${model.tag})`, () => {
    const rendered = model.render(injectorTestSettings(model));
    assert.deepEqual(rendered.sidecar, goldenContainer(model.tag, "inject.01.golden.yaml", "containers", "kuma-sidecar"));
    assert.deepEqual(rendered.init, goldenContainer(model.tag, "inject.01.golden.yaml", "initContainers", "kuma-init"));
  });

  test(`${model.version}: native sidecar equals Kuma's inject.sidecar-feature.01.golden.yaml (${model.tag})`, () => {
    const rendered = model.render({ ...injectorTestSettings(model), sidecarContainers: true });
    assert.deepEqual(
      rendered.sidecar,
      goldenContainer(model.tag, "inject.sidecar-feature.01.golden.yaml", "initContainers", "kuma-sidecar"),
    );
  });

  test(`${model.version}: CNI mode renders kuma-validation as Kuma's inject.34.golden.yaml (${model.tag}), and initPatch applies to it`, () => {
    const settings = injectorTestSettings(model, "inject.config-cni.yaml");
    const validation = goldenContainer(model.tag, "inject.34.golden.yaml", "initContainers", "kuma-validation");
    assert.deepEqual(model.render(settings).validation, validation);
    assert.deepEqual(model.templates(settings).init, validation);
  });

  test(`${model.version}: the model's defaults are kuma-cp.defaults.yaml of ${model.tag}`, () => {
    const result = parseControlPlaneConfig(fixture(model.tag, "kuma-cp.defaults.yaml"), model, model.defaults);
    assert.ok("value" in result, "error" in result ? result.error : "");
    assert.deepEqual(result.value, model.defaults);
    // The file sets the values that differ between minors: from a wrong base they come back.
    const c = model.defaults.sidecarContainer;
    const wrong: InjectorSettings = {
      ...model.defaults,
      virtualProbesEnabled: !model.defaults.virtualProbesEnabled,
      sidecarContainers: !model.defaults.sidecarContainers,
      sidecarContainer: {
        ...c,
        uid: 1,
        drainTime: "1s",
        resources: { requests: { cpu: "1", memory: "1" }, limits: { cpu: "7", memory: "1" } },
      },
    };
    assert.deepEqual(parseControlPlaneConfig(fixture(model.tag, "kuma-cp.defaults.yaml"), model, wrong), { value: model.defaults });
  });
}

// What differs between the minors for Kuma's defaults (docs/kuma-versions.md, table).
const byVersion = (version: string) => models.find((m) => m.version === version)!;
const helmRender = (version: string) => byVersion(version).render(byVersion(version).helmDefaults);
const env = (container: Record<string, unknown>) => (container.env as Array<{ name: string; value?: string }>).map((e) => e.name);

test("2.11 and 2.13 render the same containers for the Helm defaults, apart from the image tags", () => {
  const strip = (c: Record<string, unknown>) => ({ ...c, image: undefined });
  assert.deepEqual(strip(helmRender("2.11").sidecar), strip(helmRender("2.13").sidecar));
  assert.deepEqual(strip(helmRender("2.11").init), strip(helmRender("2.13").init));
});

test("2.13 sets a cpu limit and --concurrency=2; 2.14 sets neither", () => {
  assert.deepEqual((helmRender("2.13").sidecar.resources as any).limits, { cpu: "1", "ephemeral-storage": "1G", memory: "512Mi" });
  assert.ok((helmRender("2.13").sidecar.args as string[]).includes("--concurrency=2"));
  assert.equal((helmRender("2.14").sidecar.resources as any).limits.cpu, undefined);
  assert.deepEqual(helmRender("2.14").sidecar.args, ["run", "--log-level=info"]);
  assert.deepEqual((helmRender("2.13").init.resources as any).limits, { cpu: "100m", memory: "50M" });
  assert.deepEqual((helmRender("2.14").init.resources as any).limits, { memory: "50M" });
});

test("2.14 defaults: native sidecar with a startupProbe, probes on readiness port 9902, HOST_IP for the OTel pipe", () => {
  const sidecar = helmRender("2.14").sidecar as any;
  assert.equal(sidecar.startupProbe.httpGet.port, 9902);
  assert.equal(sidecar.readinessProbe.httpGet.port, 9902);
  assert.ok(env(sidecar).includes("HOST_IP"));
  assert.deepEqual(helmRender("2.14").init.args, ["--exclude-inbound-ports=9902,9001", "--redirect-all-dns-traffic", "--verbose"]);
  assert.equal((helmRender("2.13").sidecar as any).startupProbe, undefined);
  assert.equal((helmRender("2.13").sidecar as any).readinessProbe.httpGet.port, 9901);
});

test("KUMA_TEMPLATES is 2.14 with the Helm defaults", () => {
  assert.deepEqual(KUMA_TEMPLATES, { sidecar: helmRender("2.14").sidecar, init: helmRender("2.14").init });
  assert.equal(DEFAULT_KUMA_VERSION, "2.14");
});

test("CNI mode: initPatch applies to kuma-validation", () => {
  const model = byVersion("2.14");
  const templates = model.templates({ ...model.helmDefaults, cniEnabled: true });
  assert.equal(templates.init.name, "kuma-validation");
  assert.deepEqual(templates.init.args, ["--config-file=/tmp/.kumactl", "--ip-family-mode=dualstack", "--validation-server-port=15006"]);
});

test("rendered models are frozen", () => {
  const rendered = helmRender("2.14");
  assert.throws(() => ((rendered.sidecar as any).image = "x"));
});

const versionRows: { input: string; expected: string | RegExp }[] = [
  { input: "2.13", expected: "2.13" },
  { input: "2.13.4", expected: "2.13" },
  { input: "v2.14.3", expected: "2.14" },
  { input: "2.11.0-rc1", expected: "2.11" },
  { input: "2.12", expected: /Kuma "2.12" is not supported; supported minors: 2.11, 2.13, 2.14/ },
  { input: "3.0", expected: /not supported; supported minors: 2.11, 2.13, 2.14/ },
  { input: "latest", expected: /"latest" is not a Kuma version .*supported minors: 2.11, 2.13, 2.14/ },
  { input: "", expected: /is not a Kuma version/ },
];
for (const row of versionRows) {
  test(`kumaModelFor(${JSON.stringify(row.input)})`, () => {
    const result = kumaModelFor(row.input);
    if (typeof row.expected === "string") assert.equal("value" in result && result.value.version, row.expected);
    else assert.match("error" in result ? result.error : "", row.expected);
  });
}

const imageRows: { image: string; expected: string | RegExp }[] = [
  { image: "docker.io/kumahq/kuma-cp:2.13.4", expected: "2.13.4" },
  { image: "kumahq/kuma-cp:2.14.3@sha256:abcd", expected: "2.14.3" },
  { image: "registry:5000/kuma-cp:v2.11.18", expected: "2.11.18" },
  { image: "registry:5000/kuma-cp", expected: /has no tag/ },
  { image: "kumahq/kuma-cp:latest", expected: /is not a Kuma version/ },
];
for (const row of imageRows) {
  test(`versionFromImage(${JSON.stringify(row.image)})`, () => {
    const result = versionFromImage(row.image);
    if (typeof row.expected === "string") assert.equal("value" in result && result.value, row.expected);
    else assert.match("error" in result ? result.error : "", row.expected);
  });
}

// Kuma: metadata/annotations.go of each tag (constants, PodAnnotationDeprecations).
const keyRows: { key: string; byVersion: Record<string, string | undefined> }[] = [
  { key: "k8s.kuma.io/spire-support", byVersion: { "2.11": undefined, "2.13": "current", "2.14": "current" } },
  { key: "prometheus.metrics.kuma.io/port", byVersion: { "2.11": "current", "2.13": "current", "2.14": "deprecated" } },
  { key: "kuma.io/virtual-probes-port", byVersion: { "2.11": "deprecated", "2.13": "deprecated", "2.14": "deprecated" } },
  { key: "kuma.io/builtindns", byVersion: { "2.11": "removed", "2.13": "removed", "2.14": "removed" } },
  { key: "traffic.kuma.io/exclude-outbound-tcp-ports-for-uids", byVersion: { "2.11": "removed", "2.13": "removed", "2.14": "removed" } },
  { key: "kuma.io/container-patches", byVersion: { "2.11": "current", "2.13": "current", "2.14": "current" } },
];
for (const row of keyRows) {
  test(`annotation key ${row.key} per minor`, () => {
    for (const [version, status] of Object.entries(row.byVersion)) {
      assert.equal(byVersion(version).annotationKeys.get(row.key)?.status, status, version);
      assert.equal(readsAnnotation(byVersion(version), row.key), status === "current" || status === "deprecated", version);
    }
  });
}

test("readsAnnotation: aggregate metrics keys by Kuma's pattern, -address included", () => {
  assert.ok(readsAnnotation(byVersion("2.11"), "prometheus.metrics.kuma.io/aggregate-app-port"));
  assert.ok(readsAnnotation(byVersion("2.14"), "prometheus.metrics.kuma.io/aggregate-app-address"));
  assert.ok(!readsAnnotation(byVersion("2.14"), "prometheus.metrics.kuma.io/aggregate-app-host"));
  assert.ok(!readsAnnotation(byVersion("2.14"), "kuma.io/container-patch"));
});
