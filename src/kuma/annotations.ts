import { fitMessage, MAX_MESSAGE } from "./message.js";

// Every annotation and label key Kuma 2.14 reads on Pods (and Namespaces), as constants.
// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (v2.14.3), plus the keys read by
// pkg/plugins/runtime/k8s/webhooks/injector/injector.go and controllers/pod_converter.go.
// Which keys each supported minor reads, with deprecated/removed markers: KumaModel.annotationKeys
// (src/kuma/versions/); KNOWN_ANNOTATIONS below is 2.14's set.

// Labels.
/** Label (pod, namespace) that turns injection on or off. As an annotation Kuma ignores it. */
export const SIDECAR_INJECTION = "kuma.io/sidecar-injection";
/** Label Kuma manages itself; the pod validator denies user-set values. */
export const WORKLOAD = "kuma.io/workload";
/** Label (preferred) or deprecated annotation choosing the mesh. */
export const MESH = "kuma.io/mesh";

// Annotations users set.
export const CONTAINER_PATCHES = "kuma.io/container-patches";
export const DIRECT_ACCESS_SERVICES = "kuma.io/direct-access-services";
export const GATEWAY = "kuma.io/gateway";
export const INGRESS = "kuma.io/ingress";
export const EGRESS = "kuma.io/egress";
export const INGRESS_PUBLIC_ADDRESS = "kuma.io/ingress-public-address";
export const INGRESS_PUBLIC_PORT = "kuma.io/ingress-public-port";
export const TAGS = "kuma.io/tags";
export const VIRTUAL_PROBES = "kuma.io/virtual-probes";
export const VIRTUAL_PROBES_PORT = "kuma.io/virtual-probes-port";
export const APPLICATION_PROBE_PROXY_PORT = "kuma.io/application-probe-proxy-port";
export const SIDECAR_ENV_VARS = "kuma.io/sidecar-env-vars";
export const SIDECAR_PROXY_CONCURRENCY = "kuma.io/sidecar-proxy-concurrency";
export const SIDECAR_DRAIN_TIME = "kuma.io/sidecar-drain-time";
export const BUILTIN_DNS = "kuma.io/builtin-dns";
export const BUILTIN_DNS_PORT = "kuma.io/builtin-dns-port";
export const BUILTIN_DNS_LOGGING = "kuma.io/builtin-dns-logging";
export const SERVICE_ACCOUNT_TOKEN_VOLUME = "kuma.io/service-account-token-volume";
export const ENVOY_LOG_LEVEL = "kuma.io/envoy-log-level";
export const ENVOY_COMPONENT_LOG_LEVEL = "kuma.io/envoy-component-log-level";
export const INIT_FIRST = "kuma.io/init-first";
export const WAIT_FOR_DATAPLANE_READY = "kuma.io/wait-for-dataplane-ready";
export const XDS_TRANSPORT_PROTOCOL_VARIANT = "kuma.io/xds-transport-protocol-variant";
export const REACHABLE_BACKENDS = "kuma.io/reachable-backends";
export const IGNORE = "kuma.io/ignore";
export const SPIRE_SUPPORT = "k8s.kuma.io/spire-support";
export const PROMETHEUS_PORT = "prometheus.metrics.kuma.io/port";
export const PROMETHEUS_PATH = "prometheus.metrics.kuma.io/path";

export const TRAFFIC_EXCLUDE_INBOUND_PORTS = "traffic.kuma.io/exclude-inbound-ports";
export const TRAFFIC_EXCLUDE_OUTBOUND_PORTS = "traffic.kuma.io/exclude-outbound-ports";
export const TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS = "traffic.kuma.io/exclude-outbound-ports-for-uids";
/** Removed in Kuma 2.9 (PR #10983): silently ignored since. */
export const TRAFFIC_EXCLUDE_OUTBOUND_TCP_PORTS_FOR_UIDS = "traffic.kuma.io/exclude-outbound-tcp-ports-for-uids";
/** Removed in Kuma 2.9 (PR #10983): silently ignored since. */
export const TRAFFIC_EXCLUDE_OUTBOUND_UDP_PORTS_FOR_UIDS = "traffic.kuma.io/exclude-outbound-udp-ports-for-uids";
export const TRAFFIC_EXCLUDE_INBOUND_IPS = "traffic.kuma.io/exclude-inbound-ips";
export const TRAFFIC_EXCLUDE_OUTBOUND_IPS = "traffic.kuma.io/exclude-outbound-ips";
export const TRAFFIC_DROP_INVALID_PACKETS = "traffic.kuma.io/drop-invalid-packets";
export const TRAFFIC_IPTABLES_LOGS = "traffic.kuma.io/iptables-logs";
export const TRAFFIC_TRANSPARENT_PROXY_CONFIGMAP_NAME = "traffic.kuma.io/transparent-proxy-configmap-name";

// Annotations the injector writes (users may set some; Kuma overwrites or reads them).
export const SIDECAR_INJECTED = "kuma.io/sidecar-injected";
export const SIDECAR_UID = "kuma.io/sidecar-uid";
export const ENVOY_ADMIN_PORT = "kuma.io/envoy-admin-port";
export const TRANSPARENT_PROXYING = "kuma.io/transparent-proxying";
export const TRANSPARENT_PROXYING_INBOUND_PORT = "kuma.io/transparent-proxying-inbound-port";
export const TRANSPARENT_PROXYING_OUTBOUND_PORT = "kuma.io/transparent-proxying-outbound-port";
export const TRANSPARENT_PROXYING_IP_FAMILY_MODE = "kuma.io/transparent-proxying-ip-family-mode";
export const TRANSPARENT_PROXYING_REACHABLE_SERVICES = "kuma.io/transparent-proxying-reachable-services";
export const TRANSPARENT_PROXYING_EBPF = "kuma.io/transparent-proxying-ebpf";
export const TRANSPARENT_PROXYING_EBPF_BPF_FS_PATH = "kuma.io/transparent-proxying-ebpf-bpf-fs-path";
export const TRANSPARENT_PROXYING_EBPF_CGROUP_PATH = "kuma.io/transparent-proxying-ebpf-cgroup-path";
export const TRANSPARENT_PROXYING_EBPF_TC_ATTACH_IFACE = "kuma.io/transparent-proxying-ebpf-tc-attach-iface";
export const TRANSPARENT_PROXYING_EBPF_INSTANCE_IP_ENV_VAR_NAME = "kuma.io/transparent-proxying-ebpf-instance-ip-env-var-name";
export const TRANSPARENT_PROXYING_EBPF_PROGRAMS_SOURCE_PATH = "kuma.io/transparent-proxying-ebpf-programs-source-path";
export const TRAFFIC_TRANSPARENT_PROXY_CONFIG = "traffic.kuma.io/transparent-proxy-config";
export const CNCF_NETWORKS = "k8s.v1.cni.cncf.io/networks";

/** Removed spellings Kuma logs as "no longer supported and it will be ignored". */
export const REMOVED_ANNOTATIONS: Readonly<Record<string, string>> = {
  "kuma.io/builtindns": BUILTIN_DNS,
  "kuma.io/builtindnsport": BUILTIN_DNS_PORT,
};

/** Annotations the injector writes into every pod it injects; a Pod arrives with them, so
 *  they are Kuma's, not the user's. Kuma: injector.go::NewAnnotations. */
export const INJECTOR_OWNED_ANNOTATIONS: ReadonlySet<string> = new Set([
  SIDECAR_INJECTED,
  SIDECAR_UID,
  ENVOY_ADMIN_PORT,
  TRANSPARENT_PROXYING,
  TRANSPARENT_PROXYING_INBOUND_PORT,
  TRANSPARENT_PROXYING_OUTBOUND_PORT,
  TRANSPARENT_PROXYING_IP_FAMILY_MODE,
  TRANSPARENT_PROXYING_EBPF,
  TRANSPARENT_PROXYING_EBPF_BPF_FS_PATH,
  TRANSPARENT_PROXYING_EBPF_CGROUP_PATH,
  TRANSPARENT_PROXYING_EBPF_TC_ATTACH_IFACE,
  TRANSPARENT_PROXYING_EBPF_INSTANCE_IP_ENV_VAR_NAME,
  TRANSPARENT_PROXYING_EBPF_PROGRAMS_SOURCE_PATH,
  VIRTUAL_PROBES,
  VIRTUAL_PROBES_PORT,
  APPLICATION_PROBE_PROXY_PORT,
  BUILTIN_DNS,
  BUILTIN_DNS_PORT,
  BUILTIN_DNS_LOGGING,
  TRAFFIC_TRANSPARENT_PROXY_CONFIG,
  TRAFFIC_EXCLUDE_INBOUND_PORTS,
  TRAFFIC_EXCLUDE_OUTBOUND_PORTS,
  TRAFFIC_EXCLUDE_INBOUND_IPS,
  TRAFFIC_EXCLUDE_OUTBOUND_IPS,
  CNCF_NETWORKS,
]);

/** Every pod annotation key Kuma 2.14 reads or writes (prometheus aggregate keys: see isKnownAnnotation). */
export const KNOWN_ANNOTATIONS: ReadonlySet<string> = new Set([
  MESH,
  SIDECAR_INJECTION,
  CONTAINER_PATCHES,
  DIRECT_ACCESS_SERVICES,
  GATEWAY,
  INGRESS,
  EGRESS,
  INGRESS_PUBLIC_ADDRESS,
  INGRESS_PUBLIC_PORT,
  TAGS,
  SIDECAR_ENV_VARS,
  SIDECAR_PROXY_CONCURRENCY,
  SIDECAR_DRAIN_TIME,
  SERVICE_ACCOUNT_TOKEN_VOLUME,
  ENVOY_LOG_LEVEL,
  ENVOY_COMPONENT_LOG_LEVEL,
  INIT_FIRST,
  WAIT_FOR_DATAPLANE_READY,
  XDS_TRANSPORT_PROTOCOL_VARIANT,
  REACHABLE_BACKENDS,
  IGNORE,
  SPIRE_SUPPORT,
  PROMETHEUS_PORT,
  PROMETHEUS_PATH,
  TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS,
  TRAFFIC_EXCLUDE_OUTBOUND_TCP_PORTS_FOR_UIDS,
  TRAFFIC_EXCLUDE_OUTBOUND_UDP_PORTS_FOR_UIDS,
  TRAFFIC_DROP_INVALID_PACKETS,
  TRAFFIC_IPTABLES_LOGS,
  TRAFFIC_TRANSPARENT_PROXY_CONFIGMAP_NAME,
  TRANSPARENT_PROXYING_REACHABLE_SERVICES,
  ...INJECTOR_OWNED_ANNOTATIONS,
]);

/** prometheus.metrics.kuma.io/aggregate-<name>-(port|path|enabled|address). Kuma: annotations.go. */
const PROMETHEUS_AGGREGATE = /^prometheus\.metrics\.kuma\.io\/aggregate-[a-zA-Z0-9-]+-(port|path|enabled|address)$/;

/** True for keys whose namespace is Kuma's (kuma.io/ and traffic.kuma.io/). */
export function isKumaKey(key: string): boolean {
  return key.startsWith("kuma.io/") || key.startsWith("traffic.kuma.io/");
}

/** True when Kuma 2.14 reads (or writes) this pod annotation. */
export function isKnownAnnotation(key: string): boolean {
  return KNOWN_ANNOTATIONS.has(key) || PROMETHEUS_AGGREGATE.test(key);
}

/** True for the annotations the injector writes into the pods it injects. */
export function isInjectorOwned(key: string): boolean {
  return INJECTOR_OWNED_ANNOTATIONS.has(key);
}

/** The `metadata.annotations["key"]` path under a template path ("" for a Pod). */
export function annotationPath(templatePath: string, key: string): string {
  return `${templatePath ? templatePath + "." : ""}metadata.annotations[${JSON.stringify(key)}]`;
}

/** The `metadata.labels["key"]` path under a template path ("" for a Pod). */
export function labelPath(templatePath: string, key: string): string {
  return `${templatePath ? templatePath + "." : ""}metadata.labels[${JSON.stringify(key)}]`;
}

/** The `metadata.annotations` / `metadata.labels` map path under a template path. */
export function metadataPath(templatePath: string, map: "annotations" | "labels"): string {
  return `${templatePath ? templatePath + "." : ""}metadata.${map}`;
}

/** A user's value as a message shows it (kuma/message.ts): annotation rules import it from here. */
export { quote } from "./message.js";

/**
 * `message` ending in `<lead>"<fixed>"` (`write "…"`) when the whole fits in MAX_MESSAGE, else
 * ending in `otherwise` (what to do instead) and shortened: a fix cut short would be wrong to
 * copy, and the fixed value of a 256 KiB annotation is not quoted at all.
 */
export function messageWithFix(message: string, fixed: string, otherwise: string, lead = "write "): string {
  if (message.length + lead.length + fixed.length + 2 <= MAX_MESSAGE) {
    const whole = `${message}${lead}${JSON.stringify(fixed)}`;
    if (whole.length <= MAX_MESSAGE) return whole;
  }
  return fitMessage(message + otherwise);
}

/** messageWithFix, or "remove the annotation" when the fixed value is empty: nothing is left to write. */
export function messageWithFixOrRemoval(message: string, fixed: string, otherwise: string): string {
  return fixed ? messageWithFix(message, fixed, otherwise) : fitMessage(`${message}remove the annotation`);
}
