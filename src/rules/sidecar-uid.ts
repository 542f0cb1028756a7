import { SIDECAR_UID } from "../kuma/annotations.js";
import { parseUint32 } from "../kuma/parsers/uint32.js";
import { KUMA_CONTAINER_NAMES } from "../kuma/templates.js";
import { asRecord } from "../kuma/model.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma's injector refuses pods whose containers[].securityContext.runAsUser equals the
// sidecar's UID (init containers and pod-level runAsUser are not checked), and kuma-init
// lets that UID's traffic bypass the proxy. Kuma: webhooks/injector/precheck.go,
// pkg/transparentproxy/iptables/builder/builder_table_nat.go.
/** Kuma's default sidecar UID (runtime.kubernetes.injector.sidecarContainer.uid). */
const DEFAULT_SIDECAR_UID = 5678;

const CODES = {
  "container-uid": {
    when: "an application container runs as the sidecar's UID: Kuma's injector rejects the pod",
    params: { container: "the container's name", uid: "the sidecar's UID" },
  },
  "init-container-uid": {
    when: "an init container runs as the sidecar's UID, so its traffic bypasses the proxy",
    params: { container: "the init container's name", uid: "the sidecar's UID" },
  },
  "inherited-uid": {
    when: "a container without its own runAsUser inherits the pod's runAsUser, which is the sidecar's UID, so its traffic bypasses the proxy",
    params: { container: "the container's name", uid: "the sidecar's UID" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const sidecarUid: Rule<WorkloadSubject, Code> = {
  id: "sidecar-uid",
  summary: "Application containers do not run as the sidecar's UID 5678",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    // An injected Pod records the UID Kuma used.
    const recorded = subject.template.annotations[SIDECAR_UID];
    const parsedUid = recorded === undefined ? undefined : parseUint32(recorded);
    const uid = parsedUid && "value" in parsedUid ? parsedUid.value : DEFAULT_SIDECAR_UID;
    const spec = subject.template.spec;
    const podUser = asRecord(spec.securityContext).runAsUser;
    const base = subject.templatePath ? `${subject.templatePath}.spec` : "spec";
    const findings: RuleFinding<Code>[] = [];
    for (const field of ["containers", "initContainers"] as const) {
      const list = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
      list.forEach((item, index) => {
        const container = asRecord(item);
        const name = typeof container.name === "string" ? container.name : `#${index}`;
        if (KUMA_CONTAINER_NAMES.has(name)) return;
        const own = asRecord(container.securityContext).runAsUser;
        const path = `${base}.${field}[${index}].securityContext.runAsUser`;
        if (own === uid) {
          if (field === "containers") {
            findings.push(
              error(
                "container-uid",
                `containers using same UID as sidecar is unsupported: ${JSON.stringify([name])}. Kuma's injector rejects the pod; run "${name}" as another UID`,
                path,
                { container: name, uid },
              ),
            );
          } else {
            findings.push(
              advisory(
                "init-container-uid",
                `init container "${name}" runs as the sidecar's UID ${uid}, so its traffic bypasses the proxy; run it as another UID`,
                path,
                { container: name, uid },
              ),
            );
          }
        } else if (own === undefined && podUser === uid) {
          findings.push(
            advisory(
              "inherited-uid",
              `${field === "containers" ? "container" : "init container"} "${name}" inherits the pod's runAsUser ${uid} (the sidecar's UID), so its traffic bypasses the proxy; set another runAsUser`,
              `${base}.securityContext.runAsUser`,
              { container: name, uid },
            ),
          );
        }
      });
    }
    return findings;
  },
};
