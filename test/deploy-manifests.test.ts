// deploy/ renders with `kubectl kustomize`, every object is schema-valid, and the manifests
// keep their promises: webhook rules = the server's routed kinds, Kuma's injector selectors,
// fail-open workloads, least-privilege RBAC, a hardened Deployment, the bundled policy.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { parse, parseAllDocuments, stringify } from "yaml";
import { ROUTED_KINDS } from "../src/admission/subjects.js";
import { SHUTDOWN_GRACE_MS } from "../src/server/shutdown.js";

import { ValidatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import { Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

/** The repository root, from the compiled file in .test-build/test/. */
const REPO_ROOT = new URL("../../", import.meta.url);
const NAMESPACE = "kuma-guard";
const execFileAsync = promisify(execFile);

// --- rendering ---------------------------------------------------------------------------------

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
} & Record<string, any>;

/** Every kustomization the project ships: deploy/, each overlay, and deploy/monitoring/ when present. */
function kustomizations(): string[] {
  const targets = ["deploy"];
  const overlays = new URL("deploy/overlays/", REPO_ROOT);
  if (existsSync(overlays)) {
    for (const entry of readdirSync(overlays, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && existsSync(new URL(`deploy/overlays/${entry.name}/kustomization.yaml`, REPO_ROOT)))
        targets.push(`deploy/overlays/${entry.name}`);
    }
  }
  if (existsSync(new URL("deploy/monitoring/kustomization.yaml", REPO_ROOT))) targets.push("deploy/monitoring");
  return targets;
}

/**
 * A kustomization outside the repo that combines the base with every component in
 * deploy/components/ — what a user's own overlay does (docs/operations.md). Kustomize
 * loads other kustomization directories from anywhere, so absolute paths work.
 */
function composeAllComponents(): string | undefined {
  const root = new URL("deploy/components/", REPO_ROOT);
  if (!existsSync(root)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "kuma-guard-composed-"));
  // Kustomize refuses absolute paths to other kustomizations; relative ones may leave the root.
  const components = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => relative(dir, fileURLToPath(new URL(e.name, root))))
    .sort();
  writeFileSync(
    join(dir, "kustomization.yaml"),
    stringify({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [relative(dir, fileURLToPath(new URL("deploy/base", REPO_ROOT)))],
      components,
    }),
  );
  return dir;
}
const COMPOSED = composeAllComponents();
after(() => {
  if (COMPOSED) rmSync(COMPOSED, { recursive: true, force: true });
});

/** A stable test name for a kustomization directory. */
function label(dir: string): string {
  return dir === COMPOSED ? "base + all deploy/components" : dir;
}

/** `kubectl kustomize <dir>` parsed into objects; no fallback when kubectl is missing. */
async function kustomize(dir: string): Promise<K8sObject[]> {
  let out: string;
  try {
    out = (await execFileAsync("kubectl", ["kustomize", dir], { cwd: REPO_ROOT, encoding: "utf8" })).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "kubectl not found on PATH: the deploy tests render the manifests with `kubectl kustomize` (kubectl >= 1.27). Install kubectl; there is no fallback.",
      );
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: YAML error ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** Every kustomization, rendered once and all at once (one kubectl each, ~0.2 s); a failure is kept for render(). */
const RENDERED = new Map(
  await Promise.all(
    [...kustomizations(), ...(COMPOSED ? [COMPOSED] : [])].map(
      async (dir) => [dir, await kustomize(dir).catch((error: unknown) => error as Error)] as const,
    ),
  ),
);

/** The objects `dir` renders to; throws what rendering it threw. */
function render(dir: string): K8sObject[] {
  const objects = RENDERED.get(dir);
  if (objects === undefined) throw new Error(`${dir} is not among the kustomizations rendered`);
  if (objects instanceof Error) throw objects;
  return objects;
}

function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  assert.equal(found.length, 1, `expected exactly one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}

// --- schema validation -------------------------------------------------------------------------

type Model = new (data: any) => { validate(): void };

/** The schema for each apiVersion/kind the manifests may contain; anything else fails the test. */
const MODELS: Record<string, Model> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "scheduling.k8s.io/v1/PriorityClass": PriorityClass,
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": ValidatingWebhookConfiguration,
  "cert-manager.io/v1/Issuer": Issuer,
  "cert-manager.io/v1/Certificate": Certificate,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

describe("every kustomization renders and every object matches its schema", () => {
  for (const dir of [...kustomizations(), ...(COMPOSED ? [COMPOSED] : [])]) {
    test(label(dir), () => {
      const objects = render(dir);
      assert.ok(objects.length > 0, `${dir} renders nothing`);
      for (const object of objects) {
        const id = `${object.apiVersion}/${object.kind}`;
        const model = MODELS[id];
        assert.ok(model, `${dir}: no schema for ${id} (${object.metadata?.name}); add its kubernetes-models class to MODELS`);
        try {
          new model(object).validate();
        } catch (error) {
          assert.fail(`${dir}: ${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
        }
      }
    });
  }
});

/** The kustomizations that install kuma-guard: deploy/, the overlays, all components combined. */
const INSTALLS = [...kustomizations().filter((dir) => dir !== "deploy/monitoring"), ...(COMPOSED ? [COMPOSED] : [])];

/** The installs that include a component: its overlay, and the combination of all. */
function withComponent(name: string): string[] {
  return [`deploy/overlays/${name}`, ...(COMPOSED ? [COMPOSED] : [])];
}

// --- the webhook configuration -----------------------------------------------------------------

/** Where each routed kind lives in the API; a kind added to ROUTED_KINDS must be added here. */
const KIND_RESOURCES: Record<string, { group: string; version: string; resource: string; scope: "Namespaced" | "Cluster" }> = {
  ContainerPatch: { group: "kuma.io", version: "v1alpha1", resource: "containerpatches", scope: "Namespaced" },
  Pod: { group: "", version: "v1", resource: "pods", scope: "Namespaced" },
  Deployment: { group: "apps", version: "v1", resource: "deployments", scope: "Namespaced" },
  StatefulSet: { group: "apps", version: "v1", resource: "statefulsets", scope: "Namespaced" },
  DaemonSet: { group: "apps", version: "v1", resource: "daemonsets", scope: "Namespaced" },
  ReplicaSet: { group: "apps", version: "v1", resource: "replicasets", scope: "Namespaced" },
  Job: { group: "batch", version: "v1", resource: "jobs", scope: "Namespaced" },
  CronJob: { group: "batch", version: "v1", resource: "cronjobs", scope: "Namespaced" },
  Namespace: { group: "", version: "v1", resource: "namespaces", scope: "Cluster" },
};

const EXCLUDED = { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", NAMESPACE] };
const LABEL = "kuma.io/sidecar-injection";

/** Each webhook entry: what it matches and how it fails in the base. */
const WEBHOOKS = [
  {
    name: "containerpatches.kuma-guard.io",
    kinds: ["ContainerPatch"],
    failurePolicy: "Fail",
    namespaceSelector: [EXCLUDED],
    objectSelector: undefined,
  },
  {
    name: "pods-namespace-injection.kuma-guard.io",
    kinds: ["Pod"],
    failurePolicy: "Ignore",
    namespaceSelector: [{ key: LABEL, operator: "In", values: ["enabled", "true"] }, EXCLUDED],
    objectSelector: undefined,
  },
  {
    name: "pods-pod-injection.kuma-guard.io",
    kinds: ["Pod"],
    failurePolicy: "Ignore",
    namespaceSelector: [{ key: LABEL, operator: "Exists" }, { key: LABEL, operator: "NotIn", values: ["enabled", "true"] }, EXCLUDED],
    objectSelector: [{ key: LABEL, operator: "In", values: ["enabled"] }],
  },
  {
    name: "workloads.kuma-guard.io",
    kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"],
    failurePolicy: "Ignore",
    namespaceSelector: [{ key: LABEL, operator: "Exists" }, EXCLUDED],
    objectSelector: undefined,
  },
  {
    name: "namespaces.kuma-guard.io",
    kinds: ["Namespace"],
    failurePolicy: "Ignore",
    namespaceSelector: [{ key: LABEL, operator: "Exists" }, EXCLUDED],
    objectSelector: undefined,
  },
] as const;

/** The failurePolicy an overlay promises for a webhook. */
function expectedFailurePolicy(dir: string, webhook: (typeof WEBHOOKS)[number]): string {
  return withComponent("fail-closed").includes(dir) ? "Fail" : webhook.failurePolicy;
}

function webhooksOf(dir: string): any[] {
  return only(render(dir), "ValidatingWebhookConfiguration", "kuma-guard").webhooks as any[];
}

function resourceKey(group: string, resource: string): string {
  return `${group || "core"}/${resource}`;
}

describe("webhook rules match the kinds the server routes", () => {
  test("every routed kind has a known API resource", () => {
    for (const kind of ROUTED_KINDS)
      assert.ok(KIND_RESOURCES[kind], `ROUTED_KINDS has ${kind}: add its group/resource to KIND_RESOURCES and a webhook rule`);
  });
  for (const dir of INSTALLS) {
    test(label(dir), () => {
      // Pods appear in two entries (Kuma's two injector selectors); that they never both
      // match one pod is checked by the selector cases below.
      const ruled = new Set<string>();
      for (const webhook of webhooksOf(dir)) {
        for (const rule of webhook.rules) {
          for (const group of rule.apiGroups) {
            for (const resource of rule.resources) {
              assert.ok(!`${group}${resource}`.includes("*"), `${webhook.name}: no wildcards`);
              ruled.add(resourceKey(group, resource));
            }
          }
        }
      }
      const routed = new Set(ROUTED_KINDS.map((kind) => resourceKey(KIND_RESOURCES[kind]!.group, KIND_RESOURCES[kind]!.resource)));
      assert.deepEqual([...ruled].sort(), [...routed].sort());
    });
  }
});

describe("webhook entries: selectors, failure policies, timeouts, versions", () => {
  for (const dir of INSTALLS) {
    test(label(dir), () => {
      const webhooks = webhooksOf(dir);
      assert.deepEqual(webhooks.map((w) => w.name).sort(), WEBHOOKS.map((w) => w.name).sort());
      const service = only(render(dir), "Service", "kuma-guard");
      for (const expected of WEBHOOKS) {
        const webhook = webhooks.find((w) => w.name === expected.name);
        const where = `${dir}: ${expected.name}`;
        assert.equal(webhook.failurePolicy, expectedFailurePolicy(dir, expected), `${where} failurePolicy`);
        assert.equal(webhook.sideEffects, "None", where);
        assert.equal(webhook.matchPolicy, "Equivalent", where);
        assert.deepEqual(webhook.admissionReviewVersions, ["v1", "v1beta1"], where);
        assert.ok(
          Number.isInteger(webhook.timeoutSeconds) && webhook.timeoutSeconds >= 1 && webhook.timeoutSeconds <= 3,
          `${where} timeoutSeconds ${webhook.timeoutSeconds}`,
        );
        // Newer than admissionregistration/v1 in every supported Kubernetes.
        assert.equal(webhook.matchConditions, undefined, `${where} must not use matchConditions`);
        assert.deepEqual(webhook.namespaceSelector, { matchExpressions: expected.namespaceSelector }, `${where} namespaceSelector`);
        assert.deepEqual(
          webhook.objectSelector,
          expected.objectSelector && { matchExpressions: expected.objectSelector },
          `${where} objectSelector`,
        );
        assert.deepEqual(
          webhook.clientConfig.service,
          { name: service.metadata.name, namespace: NAMESPACE, path: "/validate", port: 443 },
          where,
        );
        assert.equal(webhook.clientConfig.url, undefined, where);
        const wanted = expected.kinds.map((kind) => KIND_RESOURCES[kind]!);
        const got = webhook.rules.flatMap((rule: any) =>
          rule.resources.map((resource: string) => {
            // patch-in-use may deny deleting a ContainerPatch; no other DELETE is ever denied, so none other is sent.
            const operations = resource === "containerpatches" ? ["CREATE", "UPDATE", "DELETE"] : ["CREATE", "UPDATE"];
            assert.deepEqual(rule.operations, operations, `${where} operations`);
            assert.equal(rule.apiGroups.length, 1, `${where}: one API group per rule`);
            const spec = wanted.find((w) => w.resource === resource);
            assert.ok(spec, `${where}: unexpected resource ${resource}`);
            assert.deepEqual(rule.apiVersions, [spec.version], `${where} ${resource} apiVersions`);
            assert.equal(rule.scope, spec.scope, `${where} ${resource} scope`);
            return resourceKey(rule.apiGroups[0], resource);
          }),
        );
        assert.deepEqual(got.sort(), wanted.map((w) => resourceKey(w.group, w.resource)).sort(), where);
      }
    });
  }
});

// --- selector semantics: the union of the Pod entries is Kuma's injector ------------------------

type Expression = { key: string; operator: string; values?: string[] };

/** Kubernetes LabelSelector matchExpressions semantics. */
function matches(expressions: readonly Expression[] | undefined, labels: Record<string, string>): boolean {
  return (expressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        throw new Error(`unknown operator ${e.operator}`);
    }
  });
}

/** How many webhook entries the API server would call for `resource` in this namespace. */
function callsFor(webhooks: any[], resource: string, namespace: Record<string, string>, object: Record<string, string>): number {
  return webhooks.filter(
    (w) =>
      w.rules.some((r: any) => r.resources.includes(resource)) &&
      matches(w.namespaceSelector?.matchExpressions, namespace) &&
      matches(w.objectSelector?.matchExpressions, object),
  ).length;
}

/** Kuma's injector webhook is called for the pod (Kuma: cp-webhooks-and-secrets.yaml). */
function kumaInjects(ns: string, nsLabel: string | undefined, podLabel: string | undefined): boolean {
  if (ns === "kube-system" || ns === NAMESPACE) return false;
  return nsLabel === "enabled" || nsLabel === "true" || (nsLabel !== undefined && podLabel === "enabled");
}

const SELECTOR_CASES: { name: string; ns: string; nsLabel?: string; podLabel?: string }[] = [
  { name: "namespace enabled", ns: "shop", nsLabel: "enabled" },
  { name: "namespace true", ns: "shop", nsLabel: "true" },
  { name: "namespace enabled, pod enabled", ns: "shop", nsLabel: "enabled", podLabel: "enabled" },
  { name: "namespace enabled, pod disabled", ns: "shop", nsLabel: "enabled", podLabel: "disabled" },
  { name: "namespace yes (injector selector does not match)", ns: "shop", nsLabel: "yes" },
  { name: "namespace disabled, pod enabled", ns: "shop", nsLabel: "disabled", podLabel: "enabled" },
  { name: "namespace disabled, pod true", ns: "shop", nsLabel: "disabled", podLabel: "true" },
  { name: "namespace typo, pod enabled", ns: "shop", nsLabel: "enabeld", podLabel: "enabled" },
  { name: "unlabelled namespace, pod enabled", ns: "shop", podLabel: "enabled" },
  { name: "unlabelled namespace", ns: "shop" },
  { name: "kube-system enabled", ns: "kube-system", nsLabel: "enabled" },
  { name: "kuma-guard enabled", ns: NAMESPACE, nsLabel: "enabled", podLabel: "enabled" },
];

describe("Pods are sent exactly when Kuma's injector is called, and once", () => {
  const webhooks = webhooksOf("deploy");
  for (const c of SELECTOR_CASES) {
    test(c.name, () => {
      const nsLabels: Record<string, string> = {
        "kubernetes.io/metadata.name": c.ns,
        ...(c.nsLabel === undefined ? {} : { [LABEL]: c.nsLabel }),
      };
      const podLabels: Record<string, string> = c.podLabel === undefined ? {} : { [LABEL]: c.podLabel };
      assert.equal(callsFor(webhooks, "pods", nsLabels, podLabels), kumaInjects(c.ns, c.nsLabel, c.podLabel) ? 1 : 0);
      // Controllers: whenever the namespace label exists (the server reads the template label).
      const controllerExpected = c.nsLabel !== undefined && c.ns !== "kube-system" && c.ns !== NAMESPACE ? 1 : 0;
      assert.equal(callsFor(webhooks, "deployments", nsLabels, { [LABEL]: "controller-labels-are-not-read" }), controllerExpected);
      // ContainerPatches: any namespace but the excluded two.
      assert.equal(callsFor(webhooks, "containerpatches", nsLabels, {}), c.ns === "kube-system" || c.ns === NAMESPACE ? 0 : 1);
    });
  }
});

// --- the Deployment and what it refers to ------------------------------------------------------

function argValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** Bytes for a memory quantity such as 256Mi or 1Gi (the forms these manifests use). */
function memoryBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  assert.ok(match, `unsupported memory quantity ${quantity}`);
  return Number(match[1]) * { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ""]!;
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL("package.json", REPO_ROOT), "utf8")) as { version: string }).version;

describe("the Deployment is highly available, hardened and wired to its Secret and ConfigMap", () => {
  for (const dir of INSTALLS) {
    test(label(dir), () => {
      const objects = render(dir);
      const deployment = only(objects, "Deployment", "kuma-guard");
      assert.equal(deployment.metadata.namespace, NAMESPACE);
      const spec = deployment.spec;
      const pod = spec.template.spec;
      const podLabels = spec.template.metadata.labels as Record<string, string>;
      assert.ok(spec.replicas >= 2, "at least 2 replicas");
      assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);

      const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      assert.ok(
        anti.some(
          (t: any) =>
            t.podAffinityTerm.topologyKey === "kubernetes.io/hostname" &&
            Object.entries(t.podAffinityTerm.labelSelector.matchLabels).every(([k, v]) => podLabels[k] === v),
        ),
      );

      const pdb = only(objects, "PodDisruptionBudget", "kuma-guard");
      assert.equal(pdb.spec.minAvailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, spec.selector.matchLabels);

      assert.equal(pod.containers.length, 1);
      const container = pod.containers[0];
      assert.equal(container.image, `kuma-guard:${PACKAGE_VERSION}`, "image set by kustomize images: to the package version");

      // Security: restricted Pod Security Standard and more.
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(container.securityContext.capabilities.add, undefined);
      assert.notEqual(container.securityContext.privileged, true);

      // Resources: requests and limits; the limit clears the measured 150 MB peak.
      for (const kind of ["requests", "limits"])
        for (const resource of ["cpu", "memory"]) assert.ok(container.resources[kind][resource], `${kind}.${resource}`);
      assert.ok(
        memoryBytes(container.resources.limits.memory) >= 150 * 1000 ** 2 * 1.25,
        "memory limit leaves headroom over the 150 MB peak",
      );
      assert.ok(memoryBytes(container.resources.requests.memory) >= 80 * 1000 ** 2, "memory request covers the 80 MB idle RSS");

      // Probes reach real ports.
      const portNames = new Map<string, number>(container.ports.map((p: any) => [p.name, p.containerPort]));
      const probePort = (probe: any) => (typeof probe.httpGet.port === "string" ? portNames.get(probe.httpGet.port) : probe.httpGet.port);
      assert.equal(container.readinessProbe.httpGet.path, "/readyz");
      assert.equal(container.livenessProbe.httpGet.path, "/healthz");
      const args = container.args as string[];
      assert.equal(args[0], "serve");
      // serve listens on 127.0.0.1 by default: the pod must listen on its own address.
      assert.equal(argValue(args, "--host"), "0.0.0.0", "--host: the Service and the probes reach the pod's address");
      const port = Number(argValue(args, "--port") ?? 9443);
      const metricsPort = Number(argValue(args, "--metrics-port"));
      assert.equal(probePort(container.readinessProbe), port, "readiness over HTTPS on the webhook port");
      assert.equal(container.readinessProbe.httpGet.scheme, "HTTPS");
      assert.equal(probePort(container.livenessProbe), metricsPort, "liveness over HTTP on the metrics port");
      assert.equal(container.livenessProbe.httpGet.scheme ?? "HTTP", "HTTP");

      // Shutdown: the grace period outlasts any preStop, --shutdown-delay and the server's
      // drain limit (which itself outlasts the longest admission call), so no request is cut.
      const shutdownDelay = Number(argValue(args, "--shutdown-delay") ?? 5);
      const preStopSleep = Number(container.lifecycle?.preStop?.sleep?.seconds ?? 0);
      assert.equal(container.lifecycle?.preStop?.exec, undefined, "no exec preStop: the image need not contain a shell or sleep");
      const longestCall = Math.max(...webhooksOf(dir).map((w) => w.timeoutSeconds));
      assert.ok(SHUTDOWN_GRACE_MS / 1000 >= longestCall, "the server's drain limit covers the longest admission call");
      assert.ok(
        pod.terminationGracePeriodSeconds > preStopSleep + shutdownDelay + SHUTDOWN_GRACE_MS / 1000,
        `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must exceed ${preStopSleep} + ${shutdownDelay} + ${SHUTDOWN_GRACE_MS / 1000}`,
      );

      // The Service sends 443 to the webhook port.
      const service = only(objects, "Service", "kuma-guard");
      const https = service.spec.ports.find((p: any) => p.port === 443);
      assert.ok(https, "Service port 443");
      assert.equal(typeof https.targetPort === "string" ? portNames.get(https.targetPort) : https.targetPort, port);
      assert.ok(
        Object.entries(service.spec.selector).every(([k, v]) => podLabels[k] === v),
        "Service selects the pods",
      );

      // TLS files and the policy come from directory mounts (hot reload via `..data` swaps).
      const mountOf = (file: string) => {
        const mount = container.volumeMounts.find((m: any) => m.mountPath === dirname(file));
        assert.ok(mount, `no volume mounted at ${dirname(file)} for ${file}`);
        assert.equal(mount.subPath, undefined, `${mount.name}: subPath mounts never see updates`);
        return pod.volumes.find((v: any) => v.name === mount.name);
      };
      const certPath = argValue(args, "--tls-cert")!;
      const keyPath = argValue(args, "--tls-key")!;
      assert.equal(basename(certPath), "tls.crt");
      assert.equal(basename(keyPath), "tls.key");
      assert.equal(mountOf(certPath).secret.secretName, "kuma-guard-tls");
      assert.equal(mountOf(keyPath).secret.secretName, "kuma-guard-tls");
      const policyPath = argValue(args, "--policy")!;
      const configMap = only(objects, "ConfigMap", mountOf(policyPath).configMap.name);
      assert.equal(configMap.metadata.namespace, NAMESPACE);
      const policyFile = withComponent("audit-first").includes(dir)
        ? "deploy/components/audit-first/policy.yaml"
        : "deploy/base/policy.yaml";
      assert.equal(
        configMap.data[basename(policyPath)],
        readFileSync(new URL(policyFile, REPO_ROOT), "utf8"),
        `the ConfigMap holds ${policyFile}`,
      );
      assert.ok(args.includes("--kube"), "--kube: the catalog comes from the API");
      assert.equal(pod.serviceAccountName, only(objects, "ServiceAccount").metadata.name);
    });
  }
});

describe("RBAC is least privilege", () => {
  for (const dir of INSTALLS) {
    test(label(dir), () => {
      const objects = render(dir);
      const policy = parse(readFileSync(new URL("deploy/base/policy.yaml", REPO_ROOT), "utf8")) as {
        spec: { controlPlaneNamespaces: string[] };
      };
      // The references index and the audit: read-only, list/watch, no get of object contents by name.
      // With the policy-reports component: the report writer's verbs on the report kinds only.
      const reportWriters = withComponent("policy-reports").includes(dir) ? 1 : 0;
      const clusterRoles = find(objects, "ClusterRole").filter((r) => r.metadata.name !== "kuma-guard-policy-reports");
      assert.deepEqual(
        find(objects, "ClusterRole", "kuma-guard-policy-reports").map((r) => r.rules),
        reportWriters
          ? [
              [
                {
                  apiGroups: ["wgpolicyk8s.io"],
                  resources: ["policyreports", "clusterpolicyreports"],
                  verbs: ["get", "list", "create", "update", "delete"],
                },
              ],
            ]
          : [],
      );
      assert.deepEqual(
        clusterRoles.map((r) => [r.metadata.name, r.rules]),
        [
          [
            "kuma-guard-workload-reader",
            [
              { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
              { apiGroups: [""], resources: ["namespaces"], verbs: ["list", "watch"] },
              { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"], verbs: ["list", "watch"] },
              { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["list", "watch"] },
              { apiGroups: ["kuma.io"], resources: ["containerpatches"], verbs: ["list"] },
            ],
          ],
        ],
      );
      const account = [{ kind: "ServiceAccount", name: "kuma-guard", namespace: NAMESPACE }];
      assert.deepEqual(
        find(objects, "ClusterRoleBinding")
          .map((b) => [b.roleRef.name, b.subjects])
          .sort(),
        [["kuma-guard-workload-reader", account], ...(reportWriters ? [["kuma-guard-policy-reports", account]] : [])].sort(),
      );
      // The audit's Lease, in kuma-guard's namespace only.
      const lease = only(objects, "Role", "kuma-guard-audit-lease");
      assert.equal(lease.metadata.namespace, NAMESPACE);
      assert.deepEqual(lease.rules, [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["kuma-guard-audit"], verbs: ["get", "update"] },
      ]);
      const roles = find(objects, "Role").filter((r) => r !== lease);
      assert.deepEqual(
        roles.map((r) => r.metadata.namespace).sort(),
        [...policy.spec.controlPlaneNamespaces].sort(),
        "one Role per control-plane namespace",
      );
      for (const role of roles) {
        assert.deepEqual(role.rules, [
          { apiGroups: ["kuma.io"], resources: ["containerpatches"], verbs: ["get", "list", "watch"] },
          // The control plane's config.yaml, by name only: the injector settings the simulation mirrors.
          { apiGroups: [""], resources: ["configmaps"], resourceNames: ["kuma-control-plane-config"], verbs: ["get"] },
        ]);
        const bindings = find(objects, "RoleBinding").filter((b) => b.metadata.namespace === role.metadata.namespace);
        assert.equal(bindings.length, 1, `one RoleBinding in ${role.metadata.namespace}`);
        const binding = bindings[0]!;
        assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kuma-guard", namespace: NAMESPACE }]);
      }
      for (const object of objects) {
        if (["Role", "RoleBinding"].includes(object.kind) || object.metadata.namespace === undefined) continue;
        assert.equal(object.metadata.namespace, NAMESPACE, `${object.kind} ${object.metadata.name} outside ${NAMESPACE}`);
      }
    });
  }
});

/** Policy files under deploy/ (kustomize reads nothing outside) and the bundled file each copies. */
const POLICY_COPIES = [
  { copy: "deploy/base/policy.yaml", bundled: "policies/default.yaml" },
  { copy: "deploy/components/audit-first/policy.yaml", bundled: "policies/audit-first.yaml" },
];

describe("the policy files under deploy/ are the bundled policies", () => {
  for (const c of POLICY_COPIES) {
    test(`${c.copy} equals ${c.bundled} byte for byte`, () => {
      const bundled = new URL(c.bundled, REPO_ROOT);
      assert.ok(existsSync(bundled), `${c.bundled} is missing`);
      assert.deepEqual(readFileSync(new URL(c.copy, REPO_ROOT)), readFileSync(bundled), `copy ${c.bundled} to ${c.copy}`);
    });
  }
});

describe("overlays and components do what their names say", () => {
  for (const dir of withComponent("cert-manager")) {
    test(`cert-manager: the serving Certificate fills the mounted Secret and the caBundle (${label(dir)})`, () => {
      const objects = render(dir);
      const configuration = only(objects, "ValidatingWebhookConfiguration", "kuma-guard");
      const [namespace, name] = configuration.metadata.annotations?.["cert-manager.io/inject-ca-from"]?.split("/") ?? [];
      const certificate = only(objects, "Certificate", name);
      assert.equal(certificate.metadata.namespace, namespace);
      assert.equal(certificate.spec.secretName, "kuma-guard-tls");
      assert.deepEqual(certificate.spec.dnsNames, [`kuma-guard.${NAMESPACE}.svc`, `kuma-guard.${NAMESPACE}.svc.cluster.local`]);
      // The chain ends in a CA issuer whose certificate is isCA, issued by a self-signed issuer.
      const caIssuer = only(objects, "Issuer", certificate.spec.issuerRef.name);
      const cas = find(objects, "Certificate").filter((c) => c.spec.secretName === caIssuer.spec.ca.secretName);
      assert.equal(cas.length, 1, "one CA Certificate behind the CA issuer");
      assert.equal(cas[0]!.spec.isCA, true);
      assert.ok(only(objects, "Issuer", cas[0]!.spec.issuerRef.name).spec.selfSigned);
      for (const object of [...find(objects, "Issuer"), ...find(objects, "Certificate")])
        assert.equal(object.metadata.namespace, NAMESPACE);
    });
  }

  for (const dir of withComponent("fail-closed")) {
    test(`fail-closed: every webhook fails closed (${label(dir)})`, () => {
      for (const webhook of webhooksOf(dir)) assert.equal(webhook.failurePolicy, "Fail", webhook.name);
    });
  }

  for (const dir of withComponent("high-priority")) {
    test(`high-priority: the pods use a PriorityClass the component creates (${label(dir)})`, () => {
      const objects = render(dir);
      const name = only(objects, "Deployment", "kuma-guard").spec.template.spec.priorityClassName;
      const priorityClass = only(objects, "PriorityClass", name);
      assert.ok(priorityClass.value > 0 && priorityClass.value < 1_000_000_000, "above workloads, below system-* classes");
      assert.equal(priorityClass.globalDefault, false);
    });
  }

  for (const dir of withComponent("network-policy")) {
    test(`network-policy: the webhook port is open to any source, the metrics port to the monitoring namespace only (${label(dir)})`, () => {
      const objects = render(dir);
      const policy = only(objects, "NetworkPolicy", "kuma-guard");
      const deployment = only(objects, "Deployment", "kuma-guard");
      const container = deployment.spec.template.spec.containers[0];
      const service = only(objects, "Service", "kuma-guard");
      assert.equal(policy.metadata.namespace, NAMESPACE);
      assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels, "selects the kuma-guard pods");
      assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
      // Every port the pods serve is named by exactly one rule, by the name the Service targets.
      const containerPorts = container.ports.map((p: any) => p.name).sort();
      const ruleOf = (port: string) => {
        const rules = policy.spec.ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === port));
        assert.equal(rules.length, 1, `one rule for port ${port}`);
        return rules[0];
      };
      assert.deepEqual(policy.spec.ingress.flatMap((rule: any) => rule.ports.map((p: any) => p.port)).sort(), containerPorts);
      const webhookPort = service.spec.ports.find((p: any) => p.port === 443).targetPort;
      assert.equal(ruleOf(webhookPort).from, undefined, "the API server may come from anywhere: no from on the webhook port");
      assert.deepEqual(ruleOf("metrics").from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
    });
  }

  test("the base sets no priority class, no CA annotation and no NetworkPolicy", () => {
    const objects = render("deploy");
    assert.deepEqual(find(objects, "NetworkPolicy"), []);
    assert.equal(only(objects, "Deployment", "kuma-guard").spec.template.spec.priorityClassName, undefined);
    assert.equal(only(objects, "ValidatingWebhookConfiguration").metadata.annotations?.["cert-manager.io/inject-ca-from"], undefined);
  });
});

describe("deploy/monitoring refers to what the base serves", {
  skip: !existsSync(new URL("deploy/monitoring/kustomization.yaml", REPO_ROOT)),
}, () => {
  test("ServiceMonitors select the kuma-guard Service and name its ports", () => {
    const service = only(render("deploy"), "Service", "kuma-guard");
    const portNames = new Set(service.spec.ports.map((p: any) => p.name));
    for (const monitor of find(render("deploy/monitoring"), "ServiceMonitor")) {
      const labels = service.metadata.labels ?? {};
      assert.ok(
        Object.entries(monitor.spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
        `${monitor.metadata.name} selects the Service`,
      );
      assert.ok(matches(monitor.spec.selector.matchExpressions, labels), `${monitor.metadata.name} selects the Service`);
      const namespaces = monitor.spec.namespaceSelector?.matchNames ?? [monitor.metadata.namespace];
      assert.ok(
        monitor.spec.namespaceSelector?.any === true || namespaces.includes(NAMESPACE),
        `${monitor.metadata.name} looks in ${NAMESPACE}`,
      );
      for (const endpoint of monitor.spec.endpoints)
        if (endpoint.port !== undefined) assert.ok(portNames.has(endpoint.port), `${monitor.metadata.name}: port ${endpoint.port}`);
    }
  });
});
