import * as K from "../annotations.js";
import { annotationKeyTable, PROMETHEUS_AGGREGATE_PATTERN } from "./annotation-keys.js";
import { BASE_DEFAULTS, helmOverlay } from "./defaults.js";
import type { InjectorSettings, KumaModel, RenderFeatures } from "./model.js";
import { renderContainers, templatesOf } from "./render.js";

// Kuma 2.14 (latest, 2.14.3, versions.yml), read from tag v2.14.3:
// pkg/config/plugins/runtime/k8s/config.go, pkg/config/app/kuma-cp/kuma-cp.defaults.yaml,
// pkg/plugins/runtime/k8s/containers/factory.go (sidecarLimits, otel pipe, probePort),
// webhooks/injector/injector.go (initContainerLimits, readiness port exclusion),
// metadata/annotations.go, webhooks/injector/precheck.go, deployments/charts/kuma/.
// Checked against webhooks/injector/testdata/inject.01.golden.yaml of the tag.

const FEATURES: RenderFeatures = {
  configurableInitResources: true,
  concurrencyOnlyWithCpuLimit: true,
  otelPipe: true,
  spireAndUnifiedNaming: true,
  adminUnixSocket: true,
};

const noCpuLimit = (r: InjectorSettings["initContainer"]["resources"]) => ({ requests: r.requests, limits: { ...r.limits, cpu: "0" } });

// 2.14 drops the cpu limits (config.go: "0"), turns on the OTel pipe, native sidecars
// (experimental.sidecarContainers) and the Envoy admin Unix socket (bootstrapServer.params).
const defaults: InjectorSettings = {
  ...BASE_DEFAULTS,
  sidecarContainer: { ...BASE_DEFAULTS.sidecarContainer, resources: noCpuLimit(BASE_DEFAULTS.sidecarContainer.resources) },
  initContainer: { ...BASE_DEFAULTS.initContainer, resources: noCpuLimit(BASE_DEFAULTS.initContainer.resources) },
  validationContainer: { resources: noCpuLimit(BASE_DEFAULTS.validationContainer.resources) },
  otelPipeEnabled: true,
  sidecarContainers: true,
  envoyAdminUnixSocket: true,
};

export const KUMA_2_14: KumaModel = {
  version: "2.14",
  tag: "v2.14.3",
  release: "2.14.3",
  defaults,
  helmDefaults: helmOverlay(defaults, "2.14.3"),
  features: FEATURES,
  annotationKeys: annotationKeyTable(
    [K.SPIRE_SUPPORT],
    [
      // New in 2.14's PodAnnotationDeprecations.
      [
        K.PROMETHEUS_PORT,
        {
          status: "deprecated",
          replacement: "MeshMetric policy",
          message: `'${K.PROMETHEUS_PORT}' is deprecated, use MeshMetric policy instead`,
        },
      ],
      [
        K.PROMETHEUS_PATH,
        {
          status: "deprecated",
          replacement: "MeshMetric policy",
          message: `'${K.PROMETHEUS_PATH}' is deprecated, use MeshMetric policy instead`,
        },
      ],
    ],
  ),
  prometheusAggregatePattern: PROMETHEUS_AGGREGATE_PATTERN,
  // webhooks/injector/precheck.go::logMetricsAggregateDeprecations (new in 2.14).
  aggregateDeprecation: "using deprecated pod annotation prometheus.metrics.kuma.io/aggregate-*, use MeshMetric policy instead",
  render: (settings) => renderContainers(FEATURES, settings),
  templates(settings) {
    return templatesOf(this.render(settings), settings);
  },
};
