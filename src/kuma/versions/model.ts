import type { ContainerTemplates, JsonObject } from "../../rules/types.js";

// The shape of one Kuma minor's model and of the injector settings it renders from. The data of
// each minor lives in its own file (v2-11.ts, v2-13.ts, v2-14.ts); the rendering in render.ts.

/** A sidecar probe's timing, as runtime.kubernetes.injector.sidecarContainer.*Probe holds it. */
export interface ProbeSettings {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Requests and limits as Kubernetes quantities (text); a cpu limit of "0" means none (2.14). */
export interface ResourceSettings {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** What the control plane's configuration says about injection: runtime.kubernetes.injector.*
 *  plus the few settings outside it that change the rendered containers. Field names follow
 *  Kuma's config.yaml (pkg/config/plugins/runtime/k8s/config.go). */
export interface InjectorSettings {
  sidecarContainer: {
    image: string;
    uid: number;
    gid: number;
    /** Deprecated in Kuma for bootstrapServer.params.adminPort, which the injector uses. */
    adminPort: number;
    drainTime: string;
    envVars: Readonly<Record<string, string>>;
    readinessProbe: ProbeSettings;
    livenessProbe: ProbeSettings;
    startupProbe: ProbeSettings;
    resources: ResourceSettings;
    redirectPortInbound: number;
    redirectPortOutbound: number;
    ipFamilyMode: string;
    waitForDataplaneReady: boolean;
  };
  initContainer: { image: string; resources: ResourceSettings };
  validationContainer: { resources: ResourceSettings };
  /** runtime.kubernetes.injector.containerPatches: applied to every injected pod first. */
  containerPatches: readonly string[];
  cniEnabled: boolean;
  virtualProbesEnabled: boolean;
  virtualProbesPort: number;
  applicationProbeProxyPort: number;
  sidecarTraffic: {
    excludeInboundPorts: readonly number[];
    excludeOutboundPorts: readonly number[];
    excludeInboundIPs: readonly string[];
    excludeOutboundIPs: readonly string[];
  };
  builtinDNS: { enabled: boolean; port: number; logging: boolean; experimentalProxy: boolean };
  /** Path of the CA the sidecar trusts; its text becomes KUMA_CONTROL_PLANE_CA_CERT. */
  caCertFile: string;
  unifiedResourceNamingEnabled: boolean;
  otelPipeEnabled: boolean;
  spire: { enabled: boolean; mountPath: string };
  /** experimental.sidecarContainers: native sidecars (Kuma uses them on Kubernetes >= 1.29). */
  sidecarContainers: boolean;
  /** experimental.deltaXds. */
  deltaXds: boolean;
  /** bootstrapServer.params.adminPort: the Envoy admin port the probes use. */
  envoyAdminPort: number;
  /** bootstrapServer.params.envoyAdminUnixSocket (2.14): probes go to readinessPort instead. */
  envoyAdminUnixSocket: boolean;
  /** bootstrapServer.params.readinessPort (2.14). */
  readinessPort: number;
  /** https://<controlPlaneServiceName>.<system namespace>:<dpServer port>, the sidecar's KUMA_CONTROL_PLANE_URL. */
  controlPlaneUrl: string;
}

/** The containers one Kuma renders before ContainerPatches (JSON with Go's omitempty). */
export interface RenderedContainers extends ContainerTemplates {
  /** kuma-sidecar; in native-sidecar mode it is an init container with a startupProbe. */
  sidecar: JsonObject;
  /** kuma-init (non-CNI). */
  init: JsonObject;
  /** kuma-validation, the init container Kuma renders instead of kuma-init in CNI mode. */
  validation: JsonObject;
}

/** How rendering differs between minors; each flag cites the tag that introduced it. */
export interface RenderFeatures {
  /** 2.14: init/validation resources come from settings and a cpu limit of "0" is left out;
   *  before, both are fixed (cpu 100m/memory 50M limits) and the sidecar's cpu limit is always set. */
  configurableInitResources: boolean;
  /** 2.14: concurrency is derived only from a non-zero cpu limit; before, it is always >= 2. */
  concurrencyOnlyWithCpuLimit: boolean;
  /** 2.14: KUMA_DATAPLANE_RUNTIME_OTEL_PIPE_ENABLED=false or HOST_IP. */
  otelPipe: boolean;
  /** 2.13: unified resource naming, SPIRE and delta xDS env vars exist. */
  spireAndUnifiedNaming: boolean;
  /** 2.14: bootstrapServer.params.envoyAdminUnixSocket moves the probes to readinessPort. */
  adminUnixSocket: boolean;
}

/** One pod annotation key as a Kuma minor reads it. */
export interface AnnotationKeyInfo {
  /** "deprecated": Kuma still reads it and logs a deprecation; "removed": Kuma ignores it. */
  status: "current" | "deprecated" | "removed";
  /** Kuma's own deprecation message (pkg/plugins/runtime/k8s/metadata/annotations.go). */
  message?: string;
  /** The key or mechanism that replaces it. */
  replacement?: string;
}

/** One supported Kuma minor: everything kuma-guard judges against. */
export interface KumaModel {
  /** "2.14" */
  readonly version: string;
  /** The release tag the model was read from, e.g. "v2.14.3". */
  readonly tag: string;
  /** The newest patch release of the minor, e.g. "2.14.3" (images default to it). */
  readonly release: string;
  /** Kuma's own defaults (DefaultKubernetesRuntimeConfig and kuma-cp.defaults.yaml of the tag). */
  readonly defaults: InjectorSettings;
  /** The defaults as the Helm chart of the tag installs them (images, CA file, env it sets). */
  readonly helmDefaults: InjectorSettings;
  readonly features: RenderFeatures;
  /** Every pod annotation key the minor reads or writes, with deprecated/removed markers. */
  readonly annotationKeys: ReadonlyMap<string, AnnotationKeyInfo>;
  /** prometheus.metrics.kuma.io/aggregate-<name>-(port|path|enabled): Kuma's pattern of the tag. */
  readonly prometheusAggregatePattern: RegExp;
  /** Kuma's advisory for prometheus.metrics.kuma.io/aggregate-* keys, where the minor deprecates them. */
  readonly aggregateDeprecation?: string;
  /** The rendered containers for these settings (deep-frozen). */
  render(settings: InjectorSettings): RenderedContainers;
  /** The two containers ContainerPatches apply to (CNI mode: kuma-validation as `init`). */
  templates(settings: InjectorSettings): ContainerTemplates;
}
