// With --kube: what the control plane in the cluster says about the Kuma judged against —
// the version its Deployment runs (image tag), its KUMA_* environment, and the config.yaml of
// the Helm chart's kuma-control-plane-config ConfigMap (deployments/charts/kuma/templates/
// cp-configmap.yaml, cp-deployment.yaml).
import type { KubeHttp } from "../audit/kube-http.js";
import { isRecord } from "../audit/kube-http.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { versionFromImage } from "../kuma/versions/index.js";

/** The ConfigMap the Helm chart renders the control plane's config.yaml into. */
export const CONTROL_PLANE_CONFIG_MAP = "kuma-control-plane-config";

/** A control-plane container: Kuma's `kuma-cp` image, or Kong Mesh's `kuma-cp` of its own registry. */
const CONTROL_PLANE_IMAGE = /\/kuma-cp(?:[:@]|$)/;

/** The facts read, and what could not be read (each a sentence for the log). */
export interface ControlPlaneReading {
  facts: ControlPlaneFacts;
  problems: string[];
}

/** Reads the control plane of `namespace`: its Deployment's kuma-cp container and its ConfigMap. Never throws. */
export async function readControlPlane(http: KubeHttp, namespace: string): Promise<ControlPlaneReading> {
  const facts: ControlPlaneFacts = {};
  const problems: string[] = [];
  const where = `namespace ${namespace}`;
  try {
    const deployments = await http.call("GET", `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`);
    const container = deployments.status === 200 ? controlPlaneContainer(deployments.body) : undefined;
    if (deployments.status !== 200) problems.push(`listing Deployments in ${where} answered ${deployments.status}`);
    else if (!container) problems.push(`no Deployment in ${where} runs a kuma-cp image`);
    else {
      const version = versionFromImage(container.image);
      if ("value" in version) facts.version = { value: version.value, source: `image ${container.image}` };
      else problems.push(version.error);
      if (Object.keys(container.env).length > 0) facts.env = container.env;
    }
    const configMap = await http.call("GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${CONTROL_PLANE_CONFIG_MAP}`);
    const text =
      configMap.status === 200 && isRecord(configMap.body) && isRecord(configMap.body.data)
        ? configMap.body.data["config.yaml"]
        : undefined;
    if (typeof text === "string") facts.config = { text, source: `ConfigMap ${namespace}/${CONTROL_PLANE_CONFIG_MAP}` };
    else if (configMap.status !== 404)
      problems.push(`reading ConfigMap ${namespace}/${CONTROL_PLANE_CONFIG_MAP} answered ${configMap.status}`);
  } catch (error) {
    problems.push(`the Kubernetes API could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { facts, problems };
}

/** The first kuma-cp container of a Deployment list, with its literal KUMA_* variables. */
function controlPlaneContainer(list: unknown): { image: string; env: Record<string, string> } | undefined {
  const items = isRecord(list) && Array.isArray(list.items) ? list.items : [];
  for (const item of items) {
    const template = isRecord(item) && isRecord(item.spec) && isRecord(item.spec.template) ? item.spec.template : {};
    const containers = isRecord(template.spec) && Array.isArray(template.spec.containers) ? template.spec.containers : [];
    for (const container of containers) {
      if (!isRecord(container) || typeof container.image !== "string" || !CONTROL_PLANE_IMAGE.test(container.image)) continue;
      const env: Record<string, string> = {};
      for (const variable of Array.isArray(container.env) ? container.env : []) {
        // Variables from Secrets or fields (valueFrom) cannot be read here; Kuma's injector settings are literals.
        if (
          isRecord(variable) &&
          typeof variable.name === "string" &&
          variable.name.startsWith("KUMA_") &&
          typeof variable.value === "string"
        ) {
          env[variable.name] = variable.value;
        }
      }
      return { image: container.image, env };
    }
  }
  return undefined;
}
