import { annotationPath, labelPath, quote, SIDECAR_INJECTION } from "../kuma/annotations.js";
import { ENABLED_WORDS, parseEnabled } from "../kuma/parsers/boolean.js";
import type { Injection } from "../kuma/injection.js";
import { advisory, error } from "./types.js";
import type { Labels, NamespaceSubject, Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// kuma.io/sidecar-injection is a label read with GetEnabled (case-sensitive; yes/no
// deprecated); a bad value fails injection. As a pod annotation Kuma only logs a warning.
// The injector webhook's namespaceSelector matches only `enabled`/`true`; in a namespace with
// another value it is called only for pods labelled exactly `enabled` (kuma/injection.ts).
// Kuma: metadata/annotations.go (GetBooleanWithDefault, PodAnnotationDeprecations),
// webhooks/injector/precheck.go, deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml.
const KEY = SIDECAR_INJECTION;

const CODES = {
  "invalid-value": {
    when: "the label's value is not one of Kuma's words (case-sensitive): injection fails",
    params: { value: "the label's value" },
  },
  deprecated: { when: "the label holds a word Kuma deprecated (yes, no)", params: { value: "the label's value", fix: "the word to use" } },
  "namespace-yes": {
    when: 'a Namespace is labelled "yes": the injector webhook only selects namespaces labelled enabled or true, so nothing is injected',
  },
  "pod-annotation": {
    when: "kuma.io/sidecar-injection is an annotation on the pod, which Kuma ignores",
    params: { value: "the annotation's value" },
  },
  "namespace-annotation": { when: "kuma.io/sidecar-injection is an annotation on a Namespace, which Kuma ignores" },
  "namespace-unlabelled": {
    when: "the pod asks for injection, but its namespace has no kuma.io/sidecar-injection label, so Kuma's injector webhook is never called for it (judged only when the namespace is known)",
    params: { value: "the pod's label", namespace: "the pod's namespace" },
  },
  "namespace-not-selecting": {
    when: "the pod's label is true or yes, but its namespace's label is neither enabled nor true: Kuma's injector webhook is then called only for pods labelled exactly enabled (judged only when the namespace is known)",
    params: { value: "the pod's label", namespace: "the pod's namespace", namespaceValue: "the namespace's label" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const sidecarInjection: Rule<WorkloadSubject | NamespaceSubject, Code> = {
  id: "sidecar-injection",
  summary: "The kuma.io/sidecar-injection label holds one of Kuma's words and is a label, not an annotation",
  defaultAction: "deny",
  targets: ["workload", "namespace"],
  codes: CODES,
  check(subject, ctx) {
    return subject.target === "namespace" ? checkNamespace(subject) : checkWorkload(subject, ctx.injection);
  },
};

function checkWorkload(subject: WorkloadSubject, injection: Injection): RuleFinding<Code>[] {
  const path = labelPath(subject.templatePath, KEY);
  const findings = checkLabel(subject.template.labels, path, "the pod");
  const asked = subject.template.labels[KEY];
  const namespace = subject.meta.namespace;
  if (asked !== undefined && !injection.injected && injection.reason === "namespace-unlabelled") {
    findings.push(
      error(
        "namespace-unlabelled",
        `${KEY} ${quote(asked)} injects nothing: namespace ${namespace} has no ${KEY} label, so Kuma's injector webhook is never called for its pods; label the namespace "enabled"`,
        path,
        { value: asked, namespace },
      ),
    );
  }
  if (asked !== undefined && !injection.injected && injection.reason === "namespace-not-selecting") {
    const namespaceValue = injection.namespaceValue ?? "";
    findings.push(
      error(
        "namespace-not-selecting",
        `${KEY} ${quote(asked)} injects nothing: namespace ${namespace} is labelled ${quote(namespaceValue)}, where Kuma's injector webhook is called only for pods labelled exactly "enabled"`,
        path,
        { value: asked, namespace, namespaceValue },
      ),
    );
  }
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
      advisory(
        "namespace-yes",
        `${KEY} "yes" on a Namespace injects nothing: Kuma's injector webhook only selects namespaces labelled "enabled" or "true"; use "enabled"`,
        path,
      ),
    );
  } else {
    findings.push(...checkLabel(subject.meta.labels, path, "pods in this namespace"));
  }
  if (subject.meta.annotations[KEY] !== undefined) {
    findings.push(
      advisory(
        "namespace-annotation",
        `${KEY} is an annotation on this Namespace, which Kuma ignores; set it as a label`,
        annotationPath("", KEY),
      ),
    );
  }
  return findings;
}

function checkLabel(labels: Labels, path: string, what: string): RuleFinding<Code>[] {
  const value = labels[KEY];
  if (value === undefined) return [];
  const result = parseEnabled(value);
  if ("error" in result) {
    return [
      error(
        "invalid-value",
        `annotation "${KEY}" has wrong value ${quote(value)}: Kuma's injector rejects ${what}; use exactly one of ${ENABLED_WORDS} (case-sensitive)`,
        path,
        { value },
      ),
    ];
  }
  if (result.value.deprecated) {
    const word = result.value.value ? "enabled" : "disabled";
    return [
      advisory("deprecated", `${KEY} ${quote(value)} is deprecated in Kuma; use ${JSON.stringify(word)}`, path, { value, fix: word }),
    ];
  }
  return [];
}
