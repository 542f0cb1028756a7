import type { ContainerTemplates, JsonObject } from "./model.js";

// The containers Kuma 2.14 renders before applying ContainerPatches, as JSON with Go's
// `omitempty` (absent fields are absent, so patching them needs `add`).
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (NewSidecarContainer,
// NewInitContainer), pkg/plugins/runtime/k8s/containers/factory.go,
// pkg/config/plugins/runtime/k8s/config.go (DefaultKubernetesRuntimeConfig).
// Pod-dependent parts (env, volumeMounts, args) are modelled on Kuma's own output for a
// default pod (shared/reference/kuma-injected-pod.golden.yaml).

const SIDECAR: JsonObject = {
  name: "kuma-sidecar",
  image: "docker.io/kumahq/kuma-dp:2.14.3",
  imagePullPolicy: "IfNotPresent",
  args: ["run", "--log-level=info"],
  env: [
    { name: "INSTANCE_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } } },
    { name: "KUMA_CONTROL_PLANE_URL", value: "https://kuma-control-plane.kuma-system:5678" },
    { name: "KUMA_DATAPLANE_DRAIN_TIME", value: "30s" },
    { name: "KUMA_DATAPLANE_MESH", value: "default" },
    { name: "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH", value: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    { name: "KUMA_DNS_ENABLED", value: "true" },
    { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } } },
  ],
  livenessProbe: {
    httpGet: { path: "/ready", port: 9901 },
    initialDelaySeconds: 60,
    periodSeconds: 5,
    timeoutSeconds: 3,
    failureThreshold: 12,
    successThreshold: 1,
  },
  readinessProbe: {
    httpGet: { path: "/ready", port: 9901 },
    initialDelaySeconds: 1,
    periodSeconds: 5,
    timeoutSeconds: 3,
    failureThreshold: 12,
    successThreshold: 1,
  },
  resources: {
    requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "50M" },
    limits: { memory: "512Mi", "ephemeral-storage": "1G" },
  },
  securityContext: {
    runAsUser: 5678,
    runAsGroup: 5678,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  },
  volumeMounts: [
    { name: "kuma-sidecar-tmp", mountPath: "/tmp" },
    { name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
  ],
};

const INIT: JsonObject = {
  name: "kuma-init",
  image: "docker.io/kumahq/kuma-init:2.14.3",
  imagePullPolicy: "IfNotPresent",
  command: ["/usr/bin/kumactl", "install", "transparent-proxy"],
  args: ["--exclude-inbound-ports=9001", "--verbose"],
  env: [{ name: "XTABLES_LOCKFILE", value: "/tmp/xtables.lock" }],
  resources: {
    requests: { cpu: "20m", memory: "20M" },
    limits: { memory: "50M" },
  },
  securityContext: {
    runAsUser: 0,
    runAsGroup: 0,
    capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
    readOnlyRootFilesystem: true,
  },
  volumeMounts: [{ name: "kuma-init-tmp", mountPath: "/tmp" }],
};

/** Kuma 2.14's rendered containers; deep-frozen so no caller can alter the shared model. */
export const KUMA_TEMPLATES: ContainerTemplates = deepFreeze({ sidecar: SIDECAR, init: INIT });

/** The container names Kuma injects; rules on app containers skip them. */
export const KUMA_CONTAINER_NAMES: ReadonlySet<string> = new Set(["kuma-sidecar", "kuma-init", "kuma-validation"]);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
