// Shared test helpers: a rule context with Kuma's defaults, fixtures read from test/fixtures.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { indexPatches, viewOf } from "../../src/catalog/types.js";
import { ReviewAnalysis } from "../../src/kuma/analysis.js";
import { KUMA_TEMPLATES } from "../../src/kuma/templates.js";
import type { KumaModel } from "../../src/kuma/versions/index.js";
import { toSubject } from "../../src/admission/subjects.js";
import { createReviewInputs } from "../../src/snapshot.js";
import type {
  CatalogView,
  ContainerTemplates,
  KumaSettings,
  PatchReferences,
  Rule,
  RuleContext,
  RuleFinding,
  StoredContainerPatch,
  Subject,
  WorkloadSubject,
} from "../../src/rules/types.js";

/** The repository root, from the compiled file in .test-build/test/support/. */
export const REPO_ROOT = new URL("../../../", import.meta.url);

/** Every document of a YAML fixture in test/fixtures/; a fixture with a YAML error fails the test. */
export function loadFixture(file: string): unknown[] {
  const text = readFileSync(new URL(`test/fixtures/${file}`, REPO_ROOT), "utf8");
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`test/fixtures/${file}: ${doc.errors[0]?.message}`);
    return doc.toJS();
  });
}

/** A catalog holding these patches (all assumed to be in their own namespace). */
export function catalogOf(patches: readonly StoredContainerPatch[], namespaces: readonly string[] = ["kuma-system"]) {
  return viewOf(indexPatches(patches), namespaces);
}

/** What a test may change about the Kuma a subject is judged against. */
export interface TestInputs {
  settings?: KumaSettings;
  templates?: ContainerTemplates;
  catalog?: CatalogView;
  /** The Kuma minor judged against (2.14 by default). */
  kuma?: KumaModel;
  /** The references index as the review's operation sees it (patch-in-use). */
  references?: PatchReferences;
  /** Labels of the namespaces known; any other namespace is unknown. */
  namespaces?: Record<string, Record<string, string>>;
}

/** The analysis a review gives `subject` over Kuma's defaults (control plane in kuma-system,
 *  no default patches, an empty but configured catalog), with `inputs` changed. */
export function contextFor(subject: Subject, inputs: TestInputs = {}): RuleContext {
  const settings = inputs.settings ?? { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: [] };
  const namespaces = inputs.namespaces ?? {};
  const namespaceLabels = (name: string) => (Object.hasOwn(namespaces, name) ? namespaces[name] : undefined);
  return new ReviewAnalysis(
    subject,
    createReviewInputs(settings, inputs.templates ?? KUMA_TEMPLATES, inputs.catalog ?? catalogOf([]), namespaceLabels, inputs.kuma),
    inputs.references,
  );
}

/** `rule`'s findings on `subject`, as one review would give them. */
export function checkRule<S extends Subject>(rule: Pick<Rule<S>, "check">, subject: S, inputs: TestInputs = {}): RuleFinding[] {
  return rule.check(subject, contextFor(subject, inputs));
}

/** The subject for a Kubernetes object given as JSON (namespace "default" when it has none). */
export function subjectOf(object: { kind: string; [field: string]: unknown }): Subject {
  const subject = toSubject(object.kind, object, "default");
  if (!subject) throw new Error(`not a routed kind: ${object.kind}`);
  return subject;
}

/** A Deployment whose pod template carries these annotations/labels and containers. */
export function deploymentWith(
  annotations: Record<string, string>,
  options: { labels?: Record<string, string>; containers?: unknown[]; initContainers?: unknown[]; securityContext?: unknown } = {},
): WorkloadSubject {
  return subjectOf({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web", ...options.labels }, annotations },
        spec: {
          containers: options.containers ?? [{ name: "web", image: "nginx:1.27" }],
          ...(options.initContainers ? { initContainers: options.initContainers } : {}),
          ...(options.securityContext ? { securityContext: options.securityContext } : {}),
        },
      },
    },
  }) as WorkloadSubject;
}
