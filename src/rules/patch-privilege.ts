import { containerOf } from "../kuma/container-patch.js";
import { advisory } from "./types.js";
import type { JsonObject, Rule, RuleCodes, RuleFinding, ContainerPatchSubject } from "./types.js";

const CODES = {
  "raises-privileges": {
    when: "the patched container may do more than Kuma's: privileged, allowPrivilegeEscalation, added capabilities, root (sidecar)",
    params: { container: "kuma-sidecar or kuma-init", raised: "what was raised, comma-separated" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma's containers run with least privilege (sidecar: UID 5678, drop ALL,
// allowPrivilegeEscalation false; init: only NET_ADMIN/NET_RAW). A patch that raises
// privileges works, but should be deliberate. Kuma: injector.go (NewSidecarContainer, NewInitContainer).
export const patchPrivilege: Rule<ContainerPatchSubject, Code> = {
  id: "patch-privilege",
  summary: "Patches that raise the privileges of Kuma's containers are flagged",
  defaultAction: "warn",
  targets: ["containerpatch"],
  codes: CODES,
  check(_subject, ctx) {
    const findings: RuleFinding<Code>[] = [];
    for (const { list, after, before } of ctx.effects) {
      if (after.failure) continue;
      const raised = raisedPrivileges(after.container, before.container, list === "sidecarPatch");
      if (raised.length === 0) continue;
      findings.push(
        advisory(
          "raises-privileges",
          `${list} raises ${containerOf(list)}'s privileges: ${raised.join(", ")}; Kuma runs it with least privilege, so make sure this is intended (or use policy exemptions)`,
          `spec.${list}`,
          { container: containerOf(list), raised: raised.join(", ") },
        ),
      );
    }
    return findings;
  },
};

function securityContext(container: JsonObject): Record<string, unknown> {
  const sc = container.securityContext;
  return sc !== null && typeof sc === "object" && !Array.isArray(sc) ? (sc as Record<string, unknown>) : {};
}

function addedCapabilities(sc: Record<string, unknown>): string[] {
  const caps = sc.capabilities;
  if (caps === null || typeof caps !== "object") return [];
  const add = (caps as Record<string, unknown>).add;
  return Array.isArray(add) ? add.filter((cap): cap is string => typeof cap === "string") : [];
}

/** What the patched container may do that the unpatched one may not. */
function raisedPrivileges(after: JsonObject, before: JsonObject, sidecar: boolean): string[] {
  const now = securityContext(after);
  const was = securityContext(before);
  const raised: string[] = [];
  if (now.privileged === true && was.privileged !== true) raised.push("privileged: true");
  if (now.allowPrivilegeEscalation === true && was.allowPrivilegeEscalation !== true) raised.push("allowPrivilegeEscalation: true");
  const previous = new Set(addedCapabilities(was));
  const added = addedCapabilities(now).filter((cap) => !previous.has(cap));
  if (added.length > 0) raised.push(`capabilities.add ${added.join(" ")}`);
  if (sidecar && now.runAsUser === 0 && was.runAsUser !== 0) raised.push("runAsUser: 0 (root)");
  if (sidecar && now.runAsNonRoot === false && was.runAsNonRoot !== false) raised.push("runAsNonRoot: false");
  return raised;
}
