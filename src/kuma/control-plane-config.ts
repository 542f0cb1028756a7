import { parseDocument } from "yaml";
import { MAX_MANIFEST_FILE_BYTES, pathDeeperThan } from "../limits.js";
import { parseDuration } from "./parsers/duration.js";
import type { InjectorSettings, KumaModel } from "./versions/index.js";
import type { ProbeSettings } from "./versions/model.js";

// The control plane's injector settings, read as kuma-cp reads them: the `config.yaml` of the
// Helm chart's kuma-control-plane-config ConfigMap over Kuma's defaults, then environment
// variables over both (pkg/config/loader.go: yaml.Unmarshal, then envconfig.Process). Field and
// variable names: the json/envconfig tags of pkg/config/plugins/runtime/k8s/config.go and
// pkg/config/app/kuma-cp/config.go (same names in v2.11.18, v2.13.10, v2.14.3; fields a minor
// lacks are ignored by that minor, as Kuma's non-strict loader ignores unknown keys).
// The containers for the result: model.render(settings) / model.templates(settings).

export type ConfigResult = { value: InjectorSettings } | { error: string };

type Kind = "string" | "int" | "uint32" | "bool" | "duration" | "quantity" | "strings" | "ports" | "map";

/** One setting: its config.yaml path, its environment variable, how it reads, where it goes. */
interface Field {
  path: string;
  env: string;
  kind: Kind;
  set(s: InjectorSettings, value: unknown): void;
}

const INJ = "runtime.kubernetes.injector";
const SC = `${INJ}.sidecarContainer`;
const ENV_SC = "KUMA_RUNTIME_KUBERNETES_INJECTOR_SIDECAR_CONTAINER";

// biome-ignore lint/suspicious/noExplicitAny: one table of setters for values of every kind; `kind` says which the parser produced
function field(path: string, env: string, kind: Kind, set: (s: InjectorSettings, value: any) => void): Field {
  return { path, env, kind, set };
}

function probeFields(probe: "readinessProbe" | "livenessProbe" | "startupProbe", envName: string): Field[] {
  const keys: ReadonlyArray<keyof ProbeSettings> = [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "failureThreshold",
    ...(probe === "readinessProbe" ? (["successThreshold"] as const) : []),
  ];
  const envKey: Record<string, string> = {
    initialDelaySeconds: "INITIAL_DELAY_SECONDS",
    timeoutSeconds: "TIMEOUT_SECONDS",
    periodSeconds: "PERIOD_SECONDS",
    failureThreshold: "FAILURE_THRESHOLD",
    successThreshold: "SUCCESS_THRESHOLD",
  };
  return keys.map((key) =>
    field(`${SC}.${probe}.${key}`, `${ENV_SC}_${envName}_PROBE_${envKey[key]}`, "int", (s, v) => (s.sidecarContainer[probe][key] = v)),
  );
}

function resourceFields(
  path: string,
  envPrefix: string,
  get: (s: InjectorSettings) => InjectorSettings["initContainer"]["resources"],
): Field[] {
  const fields: Field[] = [];
  for (const side of ["requests", "limits"] as const) {
    for (const resource of ["cpu", "memory"] as const) {
      fields.push(
        field(
          `${path}.resources.${side}.${resource}`,
          `${envPrefix}_RESOURCES_${side.toUpperCase()}_${resource.toUpperCase()}`,
          "quantity",
          (s, v) => (get(s)[side][resource] = v),
        ),
      );
    }
  }
  return fields;
}

/** Every setting kuma-guard reads. Note Kuma's own spellings: resources use KUMA_INJECTOR_*,
 *  the sidecar gid is ..._GUI, probe/traffic settings sit under KUMA_RUNTIME_KUBERNETES_*. */
const FIELDS: readonly Field[] = [
  field(`${SC}.image`, `${ENV_SC}_IMAGE`, "string", (s, v) => (s.sidecarContainer.image = v)),
  field(`${SC}.uid`, `${ENV_SC}_UID`, "int", (s, v) => (s.sidecarContainer.uid = v)),
  field(`${SC}.gid`, `${ENV_SC}_GUI`, "int", (s, v) => (s.sidecarContainer.gid = v)),
  field(`${SC}.adminPort`, `${ENV_SC}_ADMIN_PORT`, "uint32", (s, v) => (s.sidecarContainer.adminPort = v)),
  field(`${SC}.drainTime`, `${ENV_SC}_DRAIN_TIME`, "duration", (s, v) => (s.sidecarContainer.drainTime = v)),
  field(`${SC}.envVars`, `${ENV_SC}_ENV_VARS`, "map", (s, v) => (s.sidecarContainer.envVars = v)),
  field(`${SC}.redirectPortInbound`, `${ENV_SC}_REDIRECT_PORT_INBOUND`, "uint32", (s, v) => (s.sidecarContainer.redirectPortInbound = v)),
  field(
    `${SC}.redirectPortOutbound`,
    `${ENV_SC}_REDIRECT_PORT_OUTBOUND`,
    "uint32",
    (s, v) => (s.sidecarContainer.redirectPortOutbound = v),
  ),
  field(`${SC}.ipFamilyMode`, `${ENV_SC}_IP_FAMILY_MODE`, "string", (s, v) => (s.sidecarContainer.ipFamilyMode = v)),
  field(
    `${SC}.waitForDataplaneReady`,
    `${ENV_SC}_WAIT_FOR_DATAPLANE_READY`,
    "bool",
    (s, v) => (s.sidecarContainer.waitForDataplaneReady = v),
  ),
  ...probeFields("readinessProbe", "READINESS"),
  ...probeFields("livenessProbe", "LIVENESS"),
  ...probeFields("startupProbe", "STARTUP"),
  ...resourceFields(SC, "KUMA_INJECTOR_SIDECAR_CONTAINER", (s) => s.sidecarContainer.resources),
  field(`${INJ}.initContainer.image`, "KUMA_INJECTOR_INIT_CONTAINER_IMAGE", "string", (s, v) => (s.initContainer.image = v)),
  ...resourceFields(`${INJ}.initContainer`, "KUMA_INJECTOR_INIT_CONTAINER", (s) => s.initContainer.resources),
  ...resourceFields(`${INJ}.validationContainer`, "KUMA_INJECTOR_VALIDATION_CONTAINER", (s) => s.validationContainer.resources),
  field(`${INJ}.containerPatches`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_CONTAINER_PATCHES", "strings", (s, v) => (s.containerPatches = v)),
  field(`${INJ}.cniEnabled`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_CNI_ENABLED", "bool", (s, v) => (s.cniEnabled = v)),
  field(`${INJ}.virtualProbesEnabled`, "KUMA_RUNTIME_KUBERNETES_VIRTUAL_PROBES_ENABLED", "bool", (s, v) => (s.virtualProbesEnabled = v)),
  field(`${INJ}.virtualProbesPort`, "KUMA_RUNTIME_KUBERNETES_VIRTUAL_PROBES_PORT", "uint32", (s, v) => (s.virtualProbesPort = v)),
  field(
    `${INJ}.applicationProbeProxyPort`,
    "KUMA_RUNTIME_KUBERNETES_APPLICATION_PROBE_PROXY_PORT",
    "uint32",
    (s, v) => (s.applicationProbeProxyPort = v),
  ),
  field(
    `${INJ}.sidecarTraffic.excludeInboundPorts`,
    "KUMA_RUNTIME_KUBERNETES_SIDECAR_TRAFFIC_EXCLUDE_INBOUND_PORTS",
    "ports",
    (s, v) => (s.sidecarTraffic.excludeInboundPorts = v),
  ),
  field(
    `${INJ}.sidecarTraffic.excludeOutboundPorts`,
    "KUMA_RUNTIME_KUBERNETES_SIDECAR_TRAFFIC_EXCLUDE_OUTBOUND_PORTS",
    "ports",
    (s, v) => (s.sidecarTraffic.excludeOutboundPorts = v),
  ),
  field(
    `${INJ}.sidecarTraffic.excludeInboundIPs`,
    "KUMA_RUNTIME_KUBERNETES_SIDECAR_TRAFFIC_EXCLUDE_INBOUND_IPS",
    "strings",
    (s, v) => (s.sidecarTraffic.excludeInboundIPs = v),
  ),
  field(
    `${INJ}.sidecarTraffic.excludeOutboundIPs`,
    "KUMA_RUNTIME_KUBERNETES_SIDECAR_TRAFFIC_EXCLUDE_OUTBOUND_IPS",
    "strings",
    (s, v) => (s.sidecarTraffic.excludeOutboundIPs = v),
  ),
  field(`${INJ}.builtinDNS.enabled`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_BUILTIN_DNS_ENABLED", "bool", (s, v) => (s.builtinDNS.enabled = v)),
  field(`${INJ}.builtinDNS.port`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_BUILTIN_DNS_PORT", "uint32", (s, v) => (s.builtinDNS.port = v)),
  field(`${INJ}.builtinDNS.logging`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_BUILTIN_DNS_LOGGING", "bool", (s, v) => (s.builtinDNS.logging = v)),
  field(
    `${INJ}.builtinDNS.experimentalProxy`,
    "KUMA_RUNTIME_KUBERNETES_INJECTOR_BUILTIN_DNS_EXPERIMENTAL_PROXY",
    "bool",
    (s, v) => (s.builtinDNS.experimentalProxy = v),
  ),
  field(`${INJ}.caCertFile`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_CA_CERT_FILE", "string", (s, v) => (s.caCertFile = v)),
  field(
    `${INJ}.unifiedResourceNamingEnabled`,
    "KUMA_RUNTIME_KUBERNETES_INJECTOR_UNIFIED_RESOURCE_NAMING_ENABLED",
    "bool",
    (s, v) => (s.unifiedResourceNamingEnabled = v),
  ),
  field(`${INJ}.otelPipeEnabled`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_OTEL_PIPE_ENABLED", "bool", (s, v) => (s.otelPipeEnabled = v)),
  field(`${INJ}.spire.enabled`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_SPIRE_ENABLED", "bool", (s, v) => (s.spire.enabled = v)),
  field(`${INJ}.spire.mountPath`, "KUMA_RUNTIME_KUBERNETES_INJECTOR_SPIRE_MOUNT_PATH", "string", (s, v) => (s.spire.mountPath = v)),
  field("experimental.sidecarContainers", "KUMA_EXPERIMENTAL_SIDECAR_CONTAINERS", "bool", (s, v) => (s.sidecarContainers = v)),
  field("experimental.deltaXds", "KUMA_EXPERIMENTAL_DELTA_XDS", "bool", (s, v) => (s.deltaXds = v)),
  field("bootstrapServer.params.adminPort", "KUMA_BOOTSTRAP_SERVER_PARAMS_ADMIN_PORT", "uint32", (s, v) => (s.envoyAdminPort = v)),
  field(
    "bootstrapServer.params.envoyAdminUnixSocket",
    "KUMA_BOOTSTRAP_SERVER_PARAMS_ENVOY_ADMIN_UNIX_SOCKET",
    "bool",
    (s, v) => (s.envoyAdminUnixSocket = v),
  ),
  field("bootstrapServer.params.readinessPort", "KUMA_BOOTSTRAP_SERVER_PARAMS_READINESS_PORT", "uint32", (s, v) => (s.readinessPort = v)),
];

/** The parts of KUMA_CONTROL_PLANE_URL (plugin.go: https://<service>.<namespace>:<dpServer.port>). */
const URL_FIELDS: ReadonlyArray<{ path: string; env: string; kind: Kind; part: "service" | "namespace" | "port" }> = [
  {
    path: "runtime.kubernetes.controlPlaneServiceName",
    env: "KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME",
    kind: "string",
    part: "service",
  },
  { path: "store.kubernetes.systemNamespace", env: "KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE", kind: "string", part: "namespace" },
  { path: "dpServer.port", env: "KUMA_DP_SERVER_PORT", kind: "uint32", part: "port" },
];

/** The names of every environment variable that changes the injector settings. */
export const INJECTOR_ENV_VARS: readonly string[] = [...FIELDS.map((f) => f.env), ...URL_FIELDS.map((f) => f.env)];

/** Settings from a kuma-cp `config.yaml` over the model's Helm defaults. Total: a bad value is an
 *  error naming the field; unknown keys are ignored, as kuma-cp ignores them. */
export function parseControlPlaneConfig(yamlText: string, model: KumaModel, base: InjectorSettings = model.helmDefaults): ConfigResult {
  if (yamlText.length > MAX_MANIFEST_FILE_BYTES)
    return { error: `control-plane config.yaml is larger than ${MAX_MANIFEST_FILE_BYTES} bytes` };
  const doc = parseDocument(yamlText, { uniqueKeys: true });
  if (doc.errors.length > 0) return { error: `control-plane config.yaml: ${doc.errors[0]!.message}` };
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { error: `control-plane config.yaml: ${(err as Error).message}` };
  }
  if (root === null || root === undefined) return { value: base };
  if (!isRecord(root)) return { error: "control-plane config.yaml: the document must be a mapping (kuma-cp's configuration)" };
  const deep = pathDeeperThan(root);
  if (deep) return { error: `control-plane config.yaml: nesting deeper than allowed at ${deep}` };
  const settings = structuredClone(base) as InjectorSettings;
  for (const f of FIELDS) {
    const raw = lookup(root, f.path);
    if (raw === undefined || raw === null) continue;
    const read = fromYaml(raw, f.kind);
    if ("error" in read) return { error: `${f.path}: ${read.error}` };
    f.set(settings, read.value);
  }
  const url = urlParts(settings.controlPlaneUrl);
  for (const f of URL_FIELDS) {
    const raw = lookup(root, f.path);
    if (raw === undefined || raw === null) continue;
    const read = fromYaml(raw, f.kind);
    if ("error" in read) return { error: `${f.path}: ${read.error}` };
    url[f.part] = String(read.value);
  }
  settings.controlPlaneUrl = `https://${url.service}.${url.namespace}:${url.port}`;
  return { value: freeze(settings) };
}

/** Settings after the control plane's KUMA_* environment variables, which win over config.yaml
 *  (envconfig.Process runs after the file is read). Unrelated variables are ignored. */
export function injectorSettingsFromEnv(env: Readonly<Record<string, string | undefined>>, base: InjectorSettings): ConfigResult {
  const settings = structuredClone(base) as InjectorSettings;
  for (const f of FIELDS) {
    const raw = env[f.env];
    if (raw === undefined) continue;
    const read = fromEnv(raw, f.kind);
    if ("error" in read) return { error: `environment variable ${f.env}: ${read.error}` };
    f.set(settings, read.value);
  }
  const url = urlParts(settings.controlPlaneUrl);
  for (const f of URL_FIELDS) {
    const raw = env[f.env];
    if (raw === undefined) continue;
    const read = fromEnv(raw, f.kind);
    if ("error" in read) return { error: `environment variable ${f.env}: ${read.error}` };
    url[f.part] = String(read.value);
  }
  settings.controlPlaneUrl = `https://${url.service}.${url.namespace}:${url.port}`;
  return { value: freeze(settings) };
}

type Read = { value: unknown } | { error: string };

/** YAML values as Go's encoding/json reads them into the typed field (no string↔number coercion). */
function fromYaml(raw: unknown, kind: Kind): Read {
  switch (kind) {
    case "string":
      return typeof raw === "string" ? { value: raw } : { error: `must be a string, got ${describe(raw)}` };
    case "bool":
      return typeof raw === "boolean" ? { value: raw } : { error: `must be true or false, got ${describe(raw)}` };
    case "int":
    case "uint32":
      return typeof raw === "number" ? integer(raw, kind) : { error: `must be a number, got ${describe(raw)}` };
    case "duration":
      return typeof raw === "string" ? duration(raw) : { error: `must be a duration such as "30s", got ${describe(raw)}` };
    case "quantity":
      // Kuma's resource fields are strings, but YAML writes `cpu: 0` as a number; sigs.k8s.io/yaml
      // would reject it, yet Kuma's own test config does it (testdata/inject.config.yaml), so accept.
      if (typeof raw === "number" && Number.isFinite(raw)) return { value: String(raw) };
      return typeof raw === "string" ? quantityOf(raw) : { error: `must be a quantity such as "100m" or "64Mi", got ${describe(raw)}` };
    case "strings":
      return Array.isArray(raw) && raw.every((item) => typeof item === "string")
        ? { value: raw }
        : { error: `must be a list of strings, got ${describe(raw)}` };
    case "ports": {
      if (!Array.isArray(raw)) return { error: `must be a list of ports, got ${describe(raw)}` };
      const ports: number[] = [];
      for (const item of raw) {
        const port = typeof item === "number" ? integer(item, "uint32") : { error: `must be a list of ports, got ${describe(item)}` };
        if ("error" in port) return port;
        ports.push(port.value as number);
      }
      return { value: ports };
    }
    case "map": {
      if (!isRecord(raw)) return { error: `must be a mapping of names to values, got ${describe(raw)}` };
      const map: Record<string, string> = {};
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== "string") return { error: `.${key} must be a string, got ${describe(value)}` };
        map[key] = value;
      }
      return { value: map };
    }
  }
}

/** Environment values as kelseyhightower/envconfig v1.4 reads them: ParseBool, ParseInt/ParseUint,
 *  lists split on "," without trimming, maps as "k1:v1,k2:v2". */
function fromEnv(raw: string, kind: Kind): Read {
  switch (kind) {
    case "string":
      return { value: raw };
    case "bool":
      if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return { value: true };
      if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return { value: false };
      return { error: `strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax` };
    case "int":
    case "uint32":
      return /^[+-]?\d+$/.test(raw)
        ? integer(Number(raw), kind)
        : { error: `parsing ${JSON.stringify(raw)}: invalid syntax (expected an integer)` };
    case "duration":
      return duration(raw);
    case "quantity":
      return quantityOf(raw);
    case "strings":
      return { value: raw === "" ? [] : raw.split(",") };
    case "ports": {
      if (raw === "") return { value: [] };
      const ports: number[] = [];
      for (const item of raw.split(",")) {
        const port = /^\d+$/.test(item)
          ? integer(Number(item), "uint32")
          : { error: `parsing ${JSON.stringify(item)}: invalid syntax (expected a port)` };
        if ("error" in port) return port;
        ports.push(port.value as number);
      }
      return { value: ports };
    }
    case "map": {
      const map: Record<string, string> = {};
      if (raw === "") return { value: map };
      for (const pair of raw.split(",")) {
        const colon = pair.indexOf(":");
        if (colon < 0) return { error: `invalid map item: ${JSON.stringify(pair)} (expected NAME:value pairs joined by ",")` };
        map[pair.slice(0, colon)] = pair.slice(colon + 1);
      }
      return { value: map };
    }
  }
}

function integer(value: number, kind: "int" | "uint32"): Read {
  if (!Number.isSafeInteger(value)) return { error: `must be an integer, got ${value}` };
  if (kind === "uint32" && (value < 0 || value > 4294967295)) return { error: `must be between 0 and 4294967295, got ${value}` };
  return { value };
}

function duration(text: string): Read {
  const parsed = parseDuration(text);
  return "error" in parsed ? { error: parsed.error } : { value: goDurationString(parsed.value) };
}

/** Kuma writes drainTime with Go's Duration.String(): "90s" → "1m30s". Whole-second values only
 *  are reformatted; others are kept as written. */
function goDurationString(nanos: bigint): string {
  const NS = 1_000_000_000n;
  if (nanos === 0n) return "0s";
  if (nanos < 0n || nanos % NS !== 0n) return `${Number(nanos) / 1e9}s`;
  const seconds = nanos / NS;
  const h = seconds / 3600n;
  const m = (seconds % 3600n) / 60n;
  const s = seconds % 60n;
  if (h > 0n) return `${h}h${m}m${s}s`;
  if (m > 0n) return `${m}m${s}s`;
  return `${s}s`;
}

/** A Kubernetes quantity; Kuma's Validate runs resource.ParseQuantity on each. */
function quantityOf(text: string): Read {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[mkMGTPE])?$/.test(text)
    ? { value: text }
    : { error: `${JSON.stringify(text)} is not a Kubernetes quantity (e.g. "100m", "64Mi")` };
}

function urlParts(url: string): { service: string; namespace: string; port: string } {
  const m = /^https:\/\/([^.]+)\.([^:]+):(\d+)$/.exec(url);
  return { service: m?.[1] ?? "kuma-control-plane", namespace: m?.[2] ?? "kuma-system", port: m?.[3] ?? "5678" };
}

function lookup(root: Record<string, unknown>, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split(".")) {
    if (!isRecord(node)) return undefined;
    node = Object.hasOwn(node, key) ? node[key] : undefined;
  }
  return node;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isRecord(value)) return "a mapping";
  return JSON.stringify(value) ?? String(value);
}

function freeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) freeze(child);
    Object.freeze(value);
  }
  return value;
}
