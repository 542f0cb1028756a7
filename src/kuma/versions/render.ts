import type { ContainerTemplates, JsonObject } from "../../rules/types.js";
import type { InjectorSettings, RenderFeatures, RenderedContainers, ResourceSettings } from "./model.js";

// The containers Kuma's injector renders for a pod without kuma annotations, before any
// ContainerPatch, as a function of the injector settings. Read from (per tag, see each model):
// pkg/plugins/runtime/k8s/containers/factory.go (NewContainer, sidecarEnvVars, proxyConcurrencyFor),
// pkg/plugins/runtime/k8s/webhooks/injector/injector.go (NewInitContainer, NewValidationContainer,
// NewAnnotations), pkg/plugins/runtime/k8s/probes/ (application probe proxy port),
// pkg/transparentproxy/kubernetes/kubernetes.go (AsKumactlCommandLine).
// Pod-dependent parts follow a plain pod: mesh "default", the service-account token mounted at
// the usual path from a volume named "kube-api-access".

/** The volume kuma-guard assumes holds the pod's service-account token. */
const TOKEN_VOLUME = "kube-api-access";
/** What stands in for the CA file's text, which only the control plane can read. */
export const CA_CERT_PLACEHOLDER = "<contents of the control plane's caCertFile>";

/** Renders the containers; the result is deep-frozen so no caller can alter a shared model. */
export function renderContainers(features: RenderFeatures, s: InjectorSettings): RenderedContainers {
  return deepFreeze({ sidecar: sidecar(features, s), init: init(features, s), validation: validation(features, s) });
}

/** The pair ContainerPatches apply to: in CNI mode initPatch applies to kuma-validation. */
export function templatesOf(rendered: RenderedContainers, s: InjectorSettings): ContainerTemplates {
  return { sidecar: rendered.sidecar, init: s.cniEnabled ? rendered.validation : rendered.init };
}

function probePort(f: RenderFeatures, s: InjectorSettings): number {
  return f.adminUnixSocket && s.envoyAdminUnixSocket ? s.readinessPort : s.envoyAdminPort;
}

function sidecar(f: RenderFeatures, s: InjectorSettings): JsonObject {
  const c = s.sidecarContainer;
  const port = probePort(f, s);
  const probe = (
    p: { initialDelaySeconds: number; timeoutSeconds: number; periodSeconds: number; failureThreshold: number },
    success: number,
  ) => ({
    httpGet: { path: "/ready", port },
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    successThreshold: success,
  });
  const args = ["run", "--log-level=info"];
  const concurrency = concurrencyOf(f, c.resources.limits.cpu);
  if (concurrency > 0) args.push(`--concurrency=${concurrency}`);
  const limits: Record<string, string> = { memory: quantity(c.resources.limits.memory), "ephemeral-storage": "1G" };
  if (!f.concurrencyOnlyWithCpuLimit || !isZero(c.resources.limits.cpu)) limits.cpu = quantity(c.resources.limits.cpu);
  const container: JsonObject = {
    name: "kuma-sidecar",
    image: c.image,
    imagePullPolicy: "IfNotPresent",
    args,
    env: sidecarEnv(f, s),
    livenessProbe: probe(c.livenessProbe, 1),
    readinessProbe: probe(c.readinessProbe, c.readinessProbe.successThreshold),
    resources: {
      requests: { cpu: quantity(c.resources.requests.cpu), memory: quantity(c.resources.requests.memory), "ephemeral-storage": "50M" },
      limits: sortKeys(limits),
    },
    securityContext: {
      runAsUser: c.uid,
      runAsGroup: c.gid,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
    volumeMounts: [
      { name: "kuma-sidecar-tmp", mountPath: "/tmp" },
      ...(f.spireAndUnifiedNaming && s.spire.enabled
        ? [{ name: "kuma-spire-agent-socket", mountPath: s.spire.mountPath, readOnly: true }]
        : []),
      { name: TOKEN_VOLUME, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
    ],
  };
  // Native sidecars get a startupProbe from the factory, before patches; restartPolicy and
  // the preStop hook are set after patches and so are not part of what a patch sees.
  if (s.sidecarContainers) container.startupProbe = probe(c.startupProbe, 1);
  if (c.waitForDataplaneReady) {
    container.lifecycle = { postStart: { exec: { command: ["kuma-dp", "wait", "--url", `http://localhost:${port}/ready`] } } };
  }
  return container;
}

/** proxyConcurrencyFor: cpu limit in whole cores, at least 2; 2.14 leaves it out without a limit. */
function concurrencyOf(f: RenderFeatures, cpuLimit: string): number {
  const millis = milliCpu(cpuLimit);
  if (f.concurrencyOnlyWithCpuLimit && millis === 0) return 0;
  return Math.max(Math.floor(millis / 1000), 2);
}

type EnvVar = { name: string; value?: string; valueFrom?: JsonObject };

function fieldRef(fieldPath: string): JsonObject {
  return { fieldRef: { apiVersion: "v1", fieldPath } };
}

function sidecarEnv(f: RenderFeatures, s: InjectorSettings): EnvVar[] {
  const env = new Map<string, EnvVar>();
  const set = (name: string, value: string) => env.set(name, value === "" ? { name } : { name, value });
  env.set("POD_NAME", { name: "POD_NAME", valueFrom: fieldRef("metadata.name") });
  env.set("POD_NAMESPACE", { name: "POD_NAMESPACE", valueFrom: fieldRef("metadata.namespace") });
  env.set("INSTANCE_IP", { name: "INSTANCE_IP", valueFrom: fieldRef("status.podIP") });
  set("KUMA_CONTROL_PLANE_URL", s.controlPlaneUrl);
  set("KUMA_DATAPLANE_MESH", "default");
  set("KUMA_DATAPLANE_DRAIN_TIME", s.sidecarContainer.drainTime);
  set("KUMA_DATAPLANE_RUNTIME_TOKEN_PATH", "/var/run/secrets/kubernetes.io/serviceaccount/token");
  // Always present; without a CA file Go's omitempty drops the empty value, not the variable.
  set("KUMA_CONTROL_PLANE_CA_CERT", s.caCertFile ? CA_CERT_PLACEHOLDER : "");
  if (f.spireAndUnifiedNaming && s.deltaXds) set("KUMA_DATAPLANE_RUNTIME_ENVOY_XDS_TRANSPORT_PROTOCOL_VARIANT", "DELTA_GRPC");
  const dns = s.builtinDNS;
  if (dns.enabled) {
    set("KUMA_DNS_ENABLED", "true");
    set("KUMA_DNS_ENABLE_LOGGING", String(dns.logging));
    if (dns.experimentalProxy) {
      set("KUMA_DNS_PROXY_PORT", String(dns.port));
    } else {
      set("KUMA_DNS_CORE_DNS_PORT", String(dns.port));
      set("KUMA_DNS_ENVOY_DNS_PORT", String(dns.port + 2));
      set("KUMA_DNS_CORE_DNS_BINARY_PATH", "coredns");
    }
  } else {
    set("KUMA_DNS_ENABLED", "false");
  }
  if (f.spireAndUnifiedNaming && s.unifiedResourceNamingEnabled) set("KUMA_DATAPLANE_RUNTIME_UNIFIED_RESOURCE_NAMING_ENABLED", "true");
  if (f.otelPipe) {
    if (s.otelPipeEnabled) env.set("HOST_IP", { name: "HOST_IP", valueFrom: fieldRef("status.hostIP") });
    else set("KUMA_DATAPLANE_RUNTIME_OTEL_PIPE_ENABLED", "false");
  }
  if (f.spireAndUnifiedNaming && s.spire.enabled) set("KUMA_DATAPLANE_RUNTIME_SPIRE_SUPPORTED", "true");
  const probeProxyPort = applicationProbeProxyPort(f, s);
  if (probeProxyPort !== undefined) set("KUMA_APPLICATION_PROBE_PROXY_PORT", String(probeProxyPort));
  for (const [name, value] of Object.entries(s.sidecarContainer.envVars)) set(name, value);
  // sort.Stable(EnvVarsByName): Go compares bytes, as does `<` on these ASCII names.
  return [...env.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The kuma.io/application-probe-proxy-port the injector writes for a pod without probe annotations.
 *  2.11: virtual probes disabled by config and no pod annotation → "0"; 2.13+: always the config port. */
function applicationProbeProxyPort(f: RenderFeatures, s: InjectorSettings): number | undefined {
  if (!f.spireAndUnifiedNaming && !s.virtualProbesEnabled) return 0;
  return s.applicationProbeProxyPort;
}

function init(f: RenderFeatures, s: InjectorSettings): JsonObject {
  return {
    name: "kuma-init",
    image: s.initContainer.image,
    imagePullPolicy: "IfNotPresent",
    command: ["/usr/bin/kumactl", "install", "transparent-proxy"],
    args: initArgs(f, s),
    env: [{ name: "XTABLES_LOCKFILE", value: "/tmp/xtables.lock" }],
    resources: initResources(f, s.initContainer.resources),
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    },
    volumeMounts: [{ name: "kuma-init-tmp", mountPath: "/tmp" }],
  };
}

/** AsKumactlCommandLine: only flags that differ from the transparent proxy's defaults. */
function initArgs(f: RenderFeatures, s: InjectorSettings): string[] {
  const c = s.sidecarContainer;
  const traffic = s.sidecarTraffic;
  const args: string[] = [];
  if (c.uid !== 5678) args.push(`--kuma-dp-user=${c.uid}`);
  if (c.ipFamilyMode !== "dualstack") args.push(`--ip-family-mode=${c.ipFamilyMode}`);
  if (c.redirectPortOutbound !== 15001) args.push(`--redirect-outbound-port=${c.redirectPortOutbound}`);
  if (traffic.excludeOutboundPorts.length > 0) args.push(`--exclude-outbound-ports=${traffic.excludeOutboundPorts.join(",")}`);
  if (traffic.excludeOutboundIPs.length > 0) args.push(`--exclude-outbound-ips=${traffic.excludeOutboundIPs.join(",")}`);
  if (c.redirectPortInbound !== 15006) args.push(`--redirect-inbound-port=${c.redirectPortInbound}`);
  const inbound = traffic.excludeInboundPorts.map(String);
  if (f.adminUnixSocket && s.envoyAdminUnixSocket && s.readinessPort !== 0) inbound.push(String(s.readinessPort));
  const probeProxyPort = applicationProbeProxyPort(f, s);
  if (probeProxyPort) inbound.push(String(probeProxyPort));
  if (inbound.length > 0) args.push(`--exclude-inbound-ports=${inbound.join(",")}`);
  if (traffic.excludeInboundIPs.length > 0) args.push(`--exclude-inbound-ips=${traffic.excludeInboundIPs.join(",")}`);
  if (s.builtinDNS.enabled) {
    args.push("--redirect-all-dns-traffic");
    if (s.builtinDNS.port !== 15053) args.push(`--redirect-dns-port=${s.builtinDNS.port}`);
  }
  args.push("--verbose");
  return args;
}

/** 2.14 reads init/validation resources from settings (no cpu limit for "0"); 2.11 and 2.13 fix them. */
function initResources(f: RenderFeatures, r: ResourceSettings): JsonObject {
  if (!f.configurableInitResources) return { requests: { cpu: "20m", memory: "20M" }, limits: { cpu: "100m", memory: "50M" } };
  const limits: Record<string, string> = { memory: quantity(r.limits.memory) };
  if (!isZero(r.limits.cpu)) limits.cpu = quantity(r.limits.cpu);
  return { requests: { cpu: quantity(r.requests.cpu), memory: quantity(r.requests.memory) }, limits: sortKeys(limits) };
}

function validation(f: RenderFeatures, s: InjectorSettings): JsonObject {
  const c = s.sidecarContainer;
  return {
    name: "kuma-validation",
    image: s.initContainer.image,
    imagePullPolicy: "IfNotPresent",
    command: ["/usr/bin/kumactl", "install", "transparent-proxy-validator"],
    args: [
      "--config-file=/tmp/.kumactl",
      `--ip-family-mode=${c.ipFamilyMode || "dualstack"}`,
      `--validation-server-port=${c.redirectPortInbound}`,
    ],
    resources: initResources(f, s.validationContainer.resources),
    securityContext: {
      runAsUser: c.uid,
      runAsGroup: c.gid,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
    volumeMounts: [{ name: "kuma-sidecar-tmp", mountPath: "/tmp" }],
  };
}

/** Millicores of a cpu quantity ("1100m" → 1100, "2" → 2000, "0.5" → 500); NaN when not a plain cpu value. */
function milliCpu(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === "m" ? value : value * 1000;
}

function isZero(text: string): boolean {
  return milliCpu(text) === 0;
}

/** Kubernetes writes quantities in canonical form: "1000m" → "1", "0.5" → "500m". Other
 *  spellings are kept as written (a close approximation of resource.Quantity's String()). */
function quantity(text: string): string {
  const millis = milliCpu(text);
  if (!Number.isInteger(millis)) return text;
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
