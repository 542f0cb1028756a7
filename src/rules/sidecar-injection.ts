import { annotationPath, labelPath, quote, SIDECAR_INJECTION } from "../kuma/annotations.js";
import { ENABLED_WORDS, parseEnabled } from "../kuma/parsers/boolean.js";
import type { Injection } from "../kuma/injection.js";
import { advisory, error } from "./types.js";
import type { Labels, NamespaceSubject, Rule, RuleFinding, WorkloadSubject } from "./types.js";

// kuma.io/sidecar-injection is a label read with GetEnabled (case-sensitive; yes/no
// deprecated); a bad value fails injection. As a pod annotation Kuma only logs a warning.
// The injector webhook's namespaceSelector matches only `enabled`/`true`; in a namespace with
// another value it is called only for pods labelled exactly `enabled` (kuma/injection.ts).
// Kuma: metadata/annotations.go (GetBooleanWithDefault, PodAnnotationDeprecations),
// webhooks/injector/precheck.go, deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml.
const KEY = SIDECAR_INJECTION;

export const sidecarInjection: Rule<WorkloadSubject | NamespaceSubject> = {
  id: "sidecar-injection",
  summary: "The kuma.io/sidecar-injection label holds one of Kuma's words and is a label, not an annotation",
  defaultAction: "deny",
  targets: ["workload", "namespace"],
  check(subject, ctx) {
    return subject.target === "namespace" ? checkNamespace(subject) : checkWorkload(subject, ctx.injection);
  },
};

function checkWorkload(subject: WorkloadSubject, injection: Injection): RuleFinding[] {
  const path = labelPath(subject.templatePath, KEY);
  const findings = checkLabel(subject.template.labels, path, "the pod");
  const asked = subject.template.labels[KEY];
  const namespace = subject.meta.namespace;
  if (asked !== undefined && !injection.injected && injection.reason === "namespace-unlabelled") {
    findings.push(
      error(`${KEY} ${quote(asked)} injects nothing: namespace ${namespace} has no ${KEY} label, so Kuma's injector webhook is never called for its pods; label the namespace "enabled"`, path),
    );
  }
  if (asked !== undefined && !injection.injected && injection.reason === "namespace-not-selecting") {
    findings.push(
      error(
        `${KEY} ${quote(asked)} injects nothing: namespace ${namespace} is labelled ${quote(injection.namespaceValue ?? "")}, where Kuma's injector webhook is called only for pods labelled exactly "enabled"`,
        path,
      ),
    );
  }
  const annotation = subject.template.annotations[KEY];
  if (annotation !== undefined) {
    findings.push(
      advisory(
        `${KEY} is an annotation here, which Kuma ignores; set it as a label: ${subject.templatePath ? subject.templatePath + "." : ""}metadata.labels: {${KEY}: ${quote(annotation)}}`,
        annotationPath(subject.templatePath, KEY),
      ),
    );
  }
  return findings;
}

function checkNamespace(subject: NamespaceSubject): RuleFinding[] {
  const path = labelPath("", KEY);
  const value = subject.meta.labels[KEY];
  const findings: RuleFinding[] = [];
  if (value === "yes") {
    findings.push(
      advisory(`${KEY} "yes" on a Namespace injects nothing: Kuma's injector webhook only selects namespaces labelled "enabled" or "true"; use "enabled"`, path),
    );
  } else {
    findings.push(...checkLabel(subject.meta.labels, path, "pods in this namespace"));
  }
  if (subject.meta.annotations[KEY] !== undefined) {
    findings.push(advisory(`${KEY} is an annotation on this Namespace, which Kuma ignores; set it as a label`, annotationPath("", KEY)));
  }
  return findings;
}

function checkLabel(labels: Labels, path: string, what: string): RuleFinding[] {
  const value = labels[KEY];
  if (value === undefined) return [];
  const result = parseEnabled(value);
  if ("error" in result) {
    return [
      error(`annotation "${KEY}" has wrong value ${quote(value)}: Kuma's injector rejects ${what}; use exactly one of ${ENABLED_WORDS} (case-sensitive)`, path),
    ];
  }
  if (result.value.deprecated) {
    const word = result.value.value ? "enabled" : "disabled";
    return [advisory(`${KEY} ${quote(value)} is deprecated in Kuma; use ${JSON.stringify(word)}`, path)];
  }
  return [];
}
