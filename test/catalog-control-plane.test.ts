// With --kube, the Kuma judged against comes from the control plane itself: its Deployment's
// image tag and KUMA_* variables and the kuma-control-plane-config ConfigMap, read through a
// local API server; what they change in the rendered containers changes the verdicts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createKubeHttp } from "../src/audit/kube-http.js";
import { readControlPlane } from "../src/catalog/control-plane.js";
import { indexPatches, viewOf } from "../src/catalog/types.js";
import { review } from "../src/admission/review.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createSnapshot } from "../src/snapshot.js";
import { FakeListWatch } from "./support/fake-list-watch.js";

// The Helm chart's control-plane Deployment (deployments/charts/kuma/templates/cp-deployment.yaml), trimmed.
const controlPlane = (image: string, env: { name: string; value: string }[] = []) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "kuma-control-plane", namespace: "kuma-system" },
  spec: {
    template: {
      spec: {
        containers: [
          { name: "control-plane", image, env: [...env, { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }] },
        ],
      },
    },
  },
});
const configMap = (config: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "kuma-control-plane-config", namespace: "kuma-system" },
  data: { "config.yaml": config },
});

async function withApi(fill: (api: FakeListWatch) => void, body: (api: FakeListWatch) => Promise<void>): Promise<void> {
  const api = FakeListWatch.standard().define("/api/v1", "configmaps", true);
  await api.start();
  try {
    fill(api);
    await body(api);
  } finally {
    await api.stop();
  }
}

/** The verdict codes on a ContainerPatch that replaces the sidecar's cpu limit, and on a Deployment naming no patch. */
function verdicts(facts: Parameters<typeof createSnapshot>[3]): string[] {
  const policy = createDefaultPolicy();
  const snapshot = createSnapshot(policy, viewOf(indexPatches([]), ["kuma-system"]), () => undefined, facts);
  const patch = {
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name: "cpu", namespace: "kuma-system" },
    spec: { sidecarPatch: [{ op: "replace", path: "/resources/limits/cpu", value: '"500m"' }] },
  };
  const web = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: { template: { spec: { containers: [{ name: "web", image: "nginx" }] } } },
  };
  const ask = (object: { kind: string }, group: string) =>
    review(
      {
        uid: "u",
        kind: { group, version: "v1", kind: object.kind },
        namespace: "x",
        name: "x",
        operation: "CREATE",
        object,
        oldObject: null,
        dryRun: false,
      },
      { snapshot },
    ).denials.map((f) => `${object.kind} ${f.code}`);
  return [...ask(patch, "kuma.io"), ...ask(web, "apps")];
}

test("the control plane's image tag, variables and config.yaml are read", async () => {
  await withApi(
    (api) => {
      api.put(
        "/apis/apps/v1",
        "deployments",
        controlPlane("docker.io/kumahq/kuma-cp:2.13.4", [
          { name: "KUMA_RUNTIME_KUBERNETES_INJECTOR_CONTAINER_PATCHES", value: "platform-defaults" },
        ]),
      );
      api.put(
        "/api/v1",
        "configmaps",
        configMap("runtime: {kubernetes: {injector: {sidecarContainer: {resources: {limits: {cpu: '2'}}}}}}\n"),
      );
    },
    async (api) => {
      const { facts, problems } = await readControlPlane(createKubeHttp(api.kubeConfig()), "kuma-system");
      assert.deepEqual(problems, []);
      assert.deepEqual(facts.version, { value: "2.13.4", source: "image docker.io/kumahq/kuma-cp:2.13.4" });
      assert.deepEqual(facts.env, { KUMA_RUNTIME_KUBERNETES_INJECTOR_CONTAINER_PATCHES: "platform-defaults" });
      assert.equal(facts.config?.source, "ConfigMap kuma-system/kuma-control-plane-config");
      // 2.13 renders a cpu limit, and the control plane's default patch is missing from the catalog.
      assert.deepEqual(verdicts(facts), ["Deployment workload-missing-patch/missing"]);
    },
  );
});

test("Kuma 2.14 with the chart's defaults: no cpu limit to replace, no default patches", async () => {
  await withApi(
    (api) => void api.put("/apis/apps/v1", "deployments", controlPlane("docker.io/kumahq/kuma-cp:2.14.3")),
    async (api) => {
      const { facts, problems } = await readControlPlane(createKubeHttp(api.kubeConfig()), "kuma-system");
      assert.deepEqual(problems, []);
      assert.equal(facts.config, undefined, "no ConfigMap: the chart's defaults");
      assert.deepEqual(verdicts(facts), ["ContainerPatch patch-apply/block-fails"]);
    },
  );
});

test("no control plane in the namespace is a problem to log, not an error", async () => {
  await withApi(
    () => {},
    async (api) => {
      const { facts, problems } = await readControlPlane(createKubeHttp(api.kubeConfig()), "kuma-system");
      assert.deepEqual(facts, {});
      assert.deepEqual(problems, ["no Deployment in namespace kuma-system runs a kuma-cp image"]);
    },
  );
});
