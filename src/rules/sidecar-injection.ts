import { annotationPath, labelPath, quote, SIDECAR_INJECTION } from "../kuma/annotations.js";
import { ENABLED_WORDS, parseEnabled } from "../kuma/parsers/boolean.js";
import { advisory, error } from "./types.js";
import type { Labels, NamespaceSubject, Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// kuma.io/sidecar-injection is a label read with GetEnabled (case-sensitive; yes/no
// deprecated); a bad value fails injection. As a pod annotation Kuma only logs a warning.
// The injector webhook's namespaceSelector matches only `enabled`/`true`.
// Kuma: metadata/annotations.go (GetBooleanWithDefault, PodAnnotationDeprecations),
// webhooks/injector/precheck.go, deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml.
const KEY = SIDECAR_INJECTION;

const CODES = {
  "invalid-value": { when: "the label's value is not one of Kuma's words (case-sensitive): injection fails", params: { value: "the label's value" } },
  deprecated: { when: "the label holds a word Kuma deprecated (yes, no)", params: { value: "the label's value", fix: "the word to use" } },
  "namespace-yes": { when: "a Namespace is labelled \"yes\": the injector webhook only selects namespaces labelled enabled or true, so nothing is injected" },
  "pod-annotation": { when: "kuma.io/sidecar-injection is an annotation on the pod, which Kuma ignores", params: { value: "the annotation's value" } },
  "namespace-annotation": { when: "kuma.io/sidecar-injection is an annotation on a Namespace, which Kuma ignores" },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const sidecarInjection: Rule<WorkloadSubject | NamespaceSubject, Code> = {
  id: "sidecar-injection",
  summary: "The kuma.io/sidecar-injection label holds one of Kuma's words and is a label, not an annotation",
  defaultAction: "deny",
  targets: ["workload", "namespace"],
  codes: CODES,
  check(subject) {
    return subject.target === "namespace" ? checkNamespace(subject) : checkWorkload(subject);
  },
};

function checkWorkload(subject: WorkloadSubject): RuleFinding<Code>[] {
  const findings = checkLabel(subject.template.labels, labelPath(subject.templatePath, KEY), "the pod");
  const annotation = subject.template.annotations[KEY];
  if (annotation !== undefined) {
    findings.push(
      advisory(
        "pod-annotation",
        `${KEY} is an annotation here, which Kuma ignores; set it as a label: ${subject.templatePath ? subject.templatePath + "." : ""}metadata.labels: {${KEY}: ${quote(annotation)}}`,
        annotationPath(subject.templatePath, KEY),
        { value: annotation },
      ),
    );
  }
  return findings;
}

function checkNamespace(subject: NamespaceSubject): RuleFinding<Code>[] {
  const path = labelPath("", KEY);
  const value = subject.meta.labels[KEY];
  const findings: RuleFinding<Code>[] = [];
  if (value === "yes") {
    findings.push(
      advisory("namespace-yes", `${KEY} "yes" on a Namespace injects nothing: Kuma's injector webhook only selects namespaces labelled "enabled" or "true"; use "enabled"`, path),
    );
  } else {
    findings.push(...checkLabel(subject.meta.labels, path, "pods in this namespace"));
  }
  if (subject.meta.annotations[KEY] !== undefined) {
    findings.push(advisory("namespace-annotation", `${KEY} is an annotation on this Namespace, which Kuma ignores; set it as a label`, annotationPath("", KEY)));
  }
  return findings;
}

function checkLabel(labels: Labels, path: string, what: string): RuleFinding<Code>[] {
  const value = labels[KEY];
  if (value === undefined) return [];
  const result = parseEnabled(value);
  if ("error" in result) {
    return [
      error("invalid-value", `annotation "${KEY}" has wrong value ${quote(value)}: Kuma's injector rejects ${what}; use exactly one of ${ENABLED_WORDS} (case-sensitive)`, path, { value }),
    ];
  }
  if (result.value.deprecated) {
    const word = result.value.value ? "enabled" : "disabled";
    return [advisory("deprecated", `${KEY} ${quote(value)} is deprecated in Kuma; use ${JSON.stringify(word)}`, path, { value, fix: word })];
  }
  return [];
}
