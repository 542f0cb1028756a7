import { annotationKeyTable, PROMETHEUS_AGGREGATE_PATTERN } from "./annotation-keys.js";
import { BASE_DEFAULTS, helmOverlay } from "./defaults.js";
import type { KumaModel, RenderFeatures } from "./model.js";
import { renderContainers, templatesOf } from "./render.js";
import { SPIRE_SUPPORT } from "../annotations.js";

// Kuma 2.13 (LTS until 2027-12-22, versions.yml), read from tag v2.13.10:
// pkg/config/plugins/runtime/k8s/config.go, pkg/config/app/kuma-cp/kuma-cp.defaults.yaml,
// pkg/plugins/runtime/k8s/containers/factory.go, webhooks/injector/injector.go,
// metadata/annotations.go, probes/pod_probe_overrider.go, deployments/charts/kuma/.
// Checked against webhooks/injector/testdata/inject.01.golden.yaml of the tag.

const FEATURES: RenderFeatures = {
  configurableInitResources: false,
  concurrencyOnlyWithCpuLimit: false,
  otelPipe: false,
  spireAndUnifiedNaming: true,
  adminUnixSocket: false,
};

const defaults = BASE_DEFAULTS;

export const KUMA_2_13: KumaModel = {
  version: "2.13",
  tag: "v2.13.10",
  release: "2.13.10",
  defaults,
  helmDefaults: helmOverlay(defaults, "2.13.10"),
  features: FEATURES,
  // New in 2.13: k8s.kuma.io/spire-support (injector.go, factory.go).
  annotationKeys: annotationKeyTable([SPIRE_SUPPORT], []),
  prometheusAggregatePattern: PROMETHEUS_AGGREGATE_PATTERN,
  render: (settings) => renderContainers(FEATURES, settings),
  templates(settings) {
    return templatesOf(this.render(settings), settings);
  },
};
