// Table tests for the sidecar-uid rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { sidecarUid as rule } from "../../src/rules/sidecar-uid.js";

sharedWorkloadRuleTests(rule, ["container-uid"]);

// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/precheck.go (containers only); iptables excludes the sidecar UID
const cases = [
  { name: "app without runAsUser", options: {}, codes: [] },
  {
    name: "app container as 5678",
    options: { containers: [{ name: "app", securityContext: { runAsUser: 5678 } }] },
    codes: ["container-uid"],
  },
  {
    name: "app init container as 5678",
    options: { initContainers: [{ name: "migrate", securityContext: { runAsUser: 5678 } }] },
    codes: ["init-container-uid"],
  },
  { name: "pod-level 5678 inherited", options: { securityContext: { runAsUser: 5678 } }, codes: ["inherited-uid"] },
  {
    name: "pod-level 5678 overridden",
    options: { securityContext: { runAsUser: 5678 }, containers: [{ name: "app", securityContext: { runAsUser: 1000 } }] },
    codes: [],
  },
  {
    name: "Kuma sidecar in the template is skipped",
    options: { containers: [{ name: "kuma-sidecar", securityContext: { runAsUser: 5678 } }] },
    codes: [],
  },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith({}, c.options))), c.codes));

test("Kuma wording", () => {
  const [finding] = checkRule(rule, deploymentWith({}, { containers: [{ name: "app", securityContext: { runAsUser: 5678 } }] }));
  assert.match(finding?.message ?? "", /^containers using same UID as sidecar is unsupported: \["app"\]/);
  assert.equal(finding?.path, "spec.template.spec.containers[0].securityContext.runAsUser");
});
