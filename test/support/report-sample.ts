// A hand-built report shared by the printer tests.
import { STDIN_FILE } from "../../src/report/model.js";
import type { Report } from "../../src/report/model.js";

export function sampleReport(): Report {
  return {
    tool: { name: "kuma-guard", version: "1.2.3" },
    files: ["deploy/app.yaml", "deploy/clean.yaml", STDIN_FILE],
    skipped: 2,
    rules: [
      { id: "direct-access", summary: "direct access entries are exact", builtIn: true },
      { id: "annotation-unknown", summary: "known keys", builtIn: true },
      { id: "exclude-ports", summary: "ports", builtIn: true },
      { id: "sidecar-injection", summary: "label", builtIn: true },
      { id: "internal-error", summary: "a rule failed", builtIn: false },
    ],
    objects: [
      {
        kind: "Deployment",
        namespace: "shop",
        name: "web",
        file: "deploy/app.yaml",
        line: 12,
        findings: [
          {
            ruleId: "direct-access",
            action: "deny",
            severity: "error",
            message: 'entry " b" is padded',
            path: 'spec.template.metadata.annotations["kuma.io/direct-access-services"]',
          },
          { ruleId: "annotation-unknown", action: "warn", severity: "advisory", message: "Kuma does not read kuma.io/sidcar-env-vars" },
          { ruleId: "exclude-ports", action: "audit", severity: "advisory", message: "spaces fail with Kuma CNI" },
        ],
      },
      {
        kind: "Namespace",
        namespace: "",
        name: "shop",
        file: "deploy/app.yaml",
        line: 1,
        findings: [{ ruleId: "sidecar-injection", action: "deny", severity: "error", message: '<bad> & "quoted"' }],
      },
      { kind: "Deployment", namespace: "shop", name: "clean", file: "deploy/clean.yaml", line: 2, findings: [] },
      {
        kind: "Pod",
        namespace: "shop",
        name: "p",
        file: STDIN_FILE,
        line: 3,
        findings: [{ ruleId: "internal-error", action: "warn", severity: "error", message: "fake-rule failed: boom" }],
      },
    ],
  };
}
