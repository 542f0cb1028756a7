// The admission requests the benchmark sends: real Kuma objects, as the API server wraps them.
import { randomUUID } from "node:crypto";

export interface Scenario {
  name: string;
  body: string;
  /** Fixed request rate for the latency run (the 1 MiB body is bounded by the network, not the webhook). */
  rate: number;
}

export function review(kind: { group: string; version: string; kind: string }, namespace: string, object: unknown): string {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind,
      resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
      namespace,
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}

/** The names of the catalog's patches: `patch-000` … `patch-199`. */
export const patchName = (i: number): string => `patch-${String(i).padStart(3, "0")}`;

/** A ContainerPatch as platform teams write them: resources, security context, env. */
export function containerPatch(name: string, blocks = 3): Record<string, unknown> {
  const sidecar = [
    { op: "add", path: "/resources/requests/cpu", value: '"100m"' },
    { op: "add", path: "/resources/limits/cpu", value: '"1"' },
    { op: "add", path: "/securityContext/seccompProfile", value: '{"type": "RuntimeDefault"}' },
    { op: "add", path: "/env/-", value: '{"name": "KUMA_DATAPLANE_DRAIN_TIME", "value": "45s"}' },
    { op: "replace", path: "/resources/limits/memory", value: '"768Mi"' },
    { op: "add", path: "/securityContext/runAsNonRoot", value: "true" },
    { op: "add", path: "/terminationMessagePolicy", value: '"FallbackToLogsOnError"' },
  ];
  const init = [
    { op: "add", path: "/securityContext/seccompProfile", value: '{"type": "RuntimeDefault"}' },
    { op: "replace", path: "/resources/limits/memory", value: '"64M"' },
    { op: "add", path: "/resources/limits/cpu", value: '"200m"' },
  ];
  const sidecarCount = Math.min(blocks, sidecar.length);
  return {
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name, namespace: "kuma-system" },
    spec: { sidecarPatch: sidecar.slice(0, sidecarCount), initPatch: init.slice(0, Math.max(0, blocks - sidecarCount)) },
  };
}

const kumaAnnotations = {
  "kuma.io/container-patches": `${patchName(7)},${patchName(42)}`,
  "traffic.kuma.io/exclude-outbound-ports": "9000,9001",
  "traffic.kuma.io/exclude-inbound-ports": "8081",
  "traffic.kuma.io/exclude-outbound-ports-for-uids": "tcp:443:1234;udp:53:1234",
  "traffic.kuma.io/exclude-outbound-ips": "10.0.0.0/8,fd00::/8",
  "kuma.io/direct-access-services": "backend_shop_svc_8080,db_shop_svc_5432",
  "kuma.io/sidecar-drain-time": "30s",
};

function appContainer(name: string, env: { name: string; value: string }[] = []) {
  return {
    name,
    image: "ghcr.io/example/web:1.8.2",
    ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
    env,
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5 },
  };
}

/** A Pod as it reaches a validating webhook: already injected by Kuma's mutating webhook. */
function injectedPod() {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-5d8f7c9b4-x2k7q",
      namespace: "shop",
      labels: { app: "web", "kuma.io/mesh": "default" },
      annotations: {
        ...kumaAnnotations,
        "kuma.io/sidecar-injected": "true",
        "kuma.io/sidecar-uid": "5678",
        "kuma.io/envoy-admin-port": "9901",
        "kuma.io/transparent-proxying": "enabled",
        "kuma.io/transparent-proxying-inbound-port": "15006",
        "kuma.io/transparent-proxying-outbound-port": "15001",
        "kuma.io/virtual-probes": "disabled",
        "kuma.io/application-probe-proxy-port": "9000",
      },
    },
    spec: {
      containers: [
        appContainer("web"),
        {
          name: "kuma-sidecar",
          image: "docker.io/kumahq/kuma-dp:2.14.3",
          args: ["run", "--log-level=info", "--concurrency=2"],
          resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "768Mi" } },
          securityContext: {
            runAsUser: 5678,
            runAsGroup: 5678,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
      initContainers: [
        {
          name: "kuma-init",
          image: "docker.io/kumahq/kuma-init:2.14.3",
          command: ["/usr/bin/kumactl", "install", "transparent-proxy"],
          securityContext: { runAsUser: 0, runAsGroup: 0, capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] } },
        },
      ],
    },
  };
}

function deployment(name: string, annotations: Record<string, string>, containers: unknown[]) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "shop", labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations }, spec: { containers } },
    },
  };
}

/** ~1 MiB: 40 containers with 25 env values of 1 KiB each (annotations are capped at 256 KiB by the API server). */
function largeDeployment() {
  const value = "x".repeat(1024);
  const containers = Array.from({ length: 40 }, (_, c) =>
    appContainer(
      `worker-${c}`,
      Array.from({ length: 25 }, (_, e) => ({ name: `SETTING_${e}`, value })),
    ),
  );
  return deployment("batch", kumaAnnotations, containers);
}

export const POD = { group: "", version: "v1", kind: "Pod" };
export const DEPLOYMENT = { group: "apps", version: "v1", kind: "Deployment" };
export const CONTAINER_PATCH = { group: "kuma.io", version: "v1alpha1", kind: "ContainerPatch" };

export function scenarios(): Scenario[] {
  return [
    { name: "pod", body: review(POD, "shop", injectedPod()), rate: 1000 },
    {
      name: "deployment-3-patches",
      body: review(
        DEPLOYMENT,
        "shop",
        deployment("web", { ...kumaAnnotations, "kuma.io/container-patches": [3, 99, 187].map(patchName).join(",") }, [
          appContainer("web"),
        ]),
      ),
      rate: 1000,
    },
    { name: "containerpatch-10-blocks", body: review(CONTAINER_PATCH, "kuma-system", containerPatch("hardening", 10)), rate: 1000 },
    { name: "deployment-1mib", body: review(DEPLOYMENT, "shop", largeDeployment()), rate: 20 },
  ];
}
