import type { KumaModel } from "./model.js";
import { KUMA_2_11 } from "./v2-11.js";
import { KUMA_2_13 } from "./v2-13.js";
import { KUMA_2_14 } from "./v2-14.js";

// The supported Kuma minors: those whose end of life (kumahq/kuma versions.yml) is after today,
// plus the latest release. Adding a minor = one model file and one line here.

export type { AnnotationKeyInfo, InjectorSettings, KumaModel, RenderedContainers } from "./model.js";

const MODELS: readonly KumaModel[] = [KUMA_2_11, KUMA_2_13, KUMA_2_14];

/** "2.11", "2.13", "2.14": oldest first. */
export const SUPPORTED_KUMA_VERSIONS: readonly string[] = MODELS.map((model) => model.version);

/** The minor kuma-guard models when nothing says otherwise: the latest release. */
export const DEFAULT_KUMA_VERSION = "2.14";

/** The model of a Kuma version: "2.13", "2.13.4" and "v2.13.4" all select 2.13. */
export function kumaModelFor(version: string): { value: KumaModel } | { error: string } {
  const minor = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?$/.exec(version.trim());
  const model = minor ? MODELS.find((m) => m.version === `${Number(minor[1])}.${Number(minor[2])}`) : undefined;
  if (model) return { value: model };
  const supported = SUPPORTED_KUMA_VERSIONS.join(", ");
  return minor
    ? { error: `Kuma ${JSON.stringify(version)} is not supported; supported minors: ${supported}` }
    : { error: `${JSON.stringify(version)} is not a Kuma version (expected e.g. "2.14" or "2.14.3"); supported minors: ${supported}` };
}

/** True when this Kuma minor reads (or writes) the pod annotation `key`; removed keys are not read.
 *  For annotation-unknown: the per-minor version of annotations.ts::isKnownAnnotation. */
export function readsAnnotation(model: KumaModel, key: string): boolean {
  const info = model.annotationKeys.get(key);
  if (info) return info.status !== "removed";
  return model.prometheusAggregatePattern.test(key) || PROMETHEUS_AGGREGATE_ADDRESS.test(key);
}

/** aggregate-<name>-address: read by the pod controller once the name is known from another key. */
const PROMETHEUS_AGGREGATE_ADDRESS = /^prometheus\.metrics\.kuma\.io\/aggregate-[a-zA-Z0-9-]+-address$/;

/** The version in a kuma-cp image reference: "docker.io/kumahq/kuma-cp:2.13.4" → "2.13.4". */
export function versionFromImage(image: string): { value: string } | { error: string } {
  const withoutDigest = image.split("@")[0] ?? "";
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  if (colon <= slash)
    return { error: `image ${JSON.stringify(image)} has no tag to read the Kuma version from; set the version explicitly` };
  const tag = withoutDigest.slice(colon + 1);
  const version = /^v?(\d+\.\d+\.\d+)/.exec(tag);
  if (!version)
    return { error: `image tag ${JSON.stringify(tag)} is not a Kuma version (expected e.g. "2.14.3"); set the version explicitly` };
  return { value: version[1]! };
}
