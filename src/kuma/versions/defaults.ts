import type { InjectorSettings } from "./model.js";

// Settings shared by the defaults of every supported minor; each model overrides what its tag
// changed. Source: pkg/config/plugins/runtime/k8s/config.go (DefaultKubernetesRuntimeConfig) and
// pkg/config/app/kuma-cp/kuma-cp.defaults.yaml of each tag (test/kuma-versions.test.ts compares).

/** Kuma's defaults as of v2.13.10; 2.11 and 2.14 state their differences in their model file. */
export const BASE_DEFAULTS: InjectorSettings = {
  sidecarContainer: {
    image: "kuma/kuma-dp:latest",
    uid: 5678,
    gid: 5678,
    adminPort: 0,
    drainTime: "30s",
    envVars: {},
    readinessProbe: { initialDelaySeconds: 1, timeoutSeconds: 3, periodSeconds: 5, successThreshold: 1, failureThreshold: 12 },
    livenessProbe: { initialDelaySeconds: 60, timeoutSeconds: 3, periodSeconds: 5, successThreshold: 1, failureThreshold: 12 },
    startupProbe: { initialDelaySeconds: 1, timeoutSeconds: 3, periodSeconds: 5, successThreshold: 1, failureThreshold: 12 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1000m", memory: "512Mi" } },
    redirectPortInbound: 15006,
    redirectPortOutbound: 15001,
    ipFamilyMode: "dualstack",
    waitForDataplaneReady: false,
  },
  initContainer: {
    image: "kuma/kuma-init:latest",
    resources: { requests: { cpu: "20m", memory: "20M" }, limits: { cpu: "100m", memory: "50M" } },
  },
  validationContainer: { resources: { requests: { cpu: "20m", memory: "20M" }, limits: { cpu: "100m", memory: "50M" } } },
  containerPatches: [],
  cniEnabled: false,
  virtualProbesEnabled: false,
  virtualProbesPort: 9000,
  applicationProbeProxyPort: 9001,
  sidecarTraffic: { excludeInboundPorts: [], excludeOutboundPorts: [], excludeInboundIPs: [], excludeOutboundIPs: [] },
  builtinDNS: { enabled: true, port: 15053, logging: false, experimentalProxy: true },
  caCertFile: "",
  unifiedResourceNamingEnabled: false,
  otelPipeEnabled: false,
  spire: { enabled: false, mountPath: "/run/spire/sockets" },
  sidecarContainers: false,
  deltaXds: false,
  envoyAdminPort: 9901,
  envoyAdminUnixSocket: false,
  readinessPort: 9902,
  controlPlaneUrl: "https://kuma-control-plane.kuma-system:5678",
};

/** What the Helm chart of a release sets on top of Kuma's defaults (deployments/charts/kuma/
 *  templates/_helpers.tpl, kuma.defaultEnv): the release's images and the CA file. */
export function helmOverlay(defaults: InjectorSettings, release: string): InjectorSettings {
  return {
    ...defaults,
    sidecarContainer: { ...defaults.sidecarContainer, image: `docker.io/kumahq/kuma-dp:${release}` },
    initContainer: { ...defaults.initContainer, image: `docker.io/kumahq/kuma-init:${release}` },
    caCertFile: "/var/run/secrets/kuma.io/tls-cert/ca.crt",
  };
}
