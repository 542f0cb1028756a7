import { annotationKeyTable, PROMETHEUS_AGGREGATE_PATTERN } from "./annotation-keys.js";
import { BASE_DEFAULTS, helmOverlay } from "./defaults.js";
import type { KumaModel, RenderFeatures } from "./model.js";
import { renderContainers, templatesOf } from "./render.js";

// Kuma 2.11 (end of life 2026-12-10, versions.yml), read from tag v2.11.18:
// pkg/config/plugins/runtime/k8s/config.go, pkg/config/app/kuma-cp/kuma-cp.defaults.yaml,
// pkg/plugins/runtime/k8s/containers/factory.go, webhooks/injector/injector.go,
// metadata/annotations.go, probes/pod_probe_overrider.go, deployments/charts/kuma/.
// Checked against webhooks/injector/testdata/inject.01.golden.yaml of the tag.
// Renders like 2.13 for the same settings, but has no SPIRE, unified naming or delta-xDS
// settings, turns virtual probes on by default, and with virtual probes off and no
// kuma.io/application-probe-proxy-port annotation writes application probe proxy port "0".

const FEATURES: RenderFeatures = {
  configurableInitResources: false,
  concurrencyOnlyWithCpuLimit: false,
  otelPipe: false,
  spireAndUnifiedNaming: false,
  adminUnixSocket: false,
};

const defaults = { ...BASE_DEFAULTS, virtualProbesEnabled: true };

export const KUMA_2_11: KumaModel = {
  version: "2.11",
  tag: "v2.11.18",
  release: "2.11.18",
  defaults,
  helmDefaults: helmOverlay(defaults, "2.11.18"),
  features: FEATURES,
  annotationKeys: annotationKeyTable([], []),
  prometheusAggregatePattern: PROMETHEUS_AGGREGATE_PATTERN,
  render: (settings) => renderContainers(FEATURES, settings),
  templates(settings) {
    return templatesOf(this.render(settings), settings);
  },
};
