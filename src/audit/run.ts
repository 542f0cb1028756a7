// One audit of a cluster: every ContainerPatch, Namespace and workload judged by the same
// review() as a CREATE of it, against the cluster's own ContainerPatches. Reads page by page
// (one page of objects in memory at a time); keeps only objects that have findings.
import { review } from "../admission/review.js";
import { indexPatches, viewOf } from "../catalog/types.js";
import { toCreateRequest } from "../check.js";
import { toStoredPatch } from "../manifests.js";
import type { Policy } from "../policy/types.js";
import { BUILT_IN_RULE_IDS } from "../rules/index.js";
import type { CatalogView, Labels, StoredContainerPatch } from "../rules/types.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { createSnapshot } from "../snapshot.js";
import { INTERNAL_ERROR_RULE, reportFindingsOf, sortFindings } from "../report/model.js";
import type { Report, ReportAction, ReportFinding, ReportObject, RuleInfo } from "../report/model.js";
import { isRecord } from "./kube-http.js";
import type { KubeHttp } from "./kube-http.js";
import { CONTAINER_PATCHES, listPages, NAMESPACES, objectPath, WORKLOAD_RESOURCES } from "./lister.js";
import type { Resource } from "./lister.js";

export interface AuditOptions {
  /** What is known of the cluster's control plane (version, injector settings): the Kuma judged against. */
  controlPlane?: ControlPlaneFacts;
  /** Only objects of this namespace (the catalog still comes from the control-plane namespaces). */
  namespace?: string;
  /** Only objects with these labels (a Kubernetes label selector). */
  selector?: string;
  pageSize?: number;
  /** Objects with findings kept for the report; beyond it they are only counted (default 10,000). */
  maxReportedObjects?: number;
  /** Aborting ends the audit between pages (time bound, shutdown). */
  signal?: AbortSignal;
  onProgress?: (progress: AuditProgress) => void;
}

export interface AuditProgress {
  listed: number;
  judged: number;
  /** The kind being listed. */
  kind: string;
}

export interface AuditResult {
  /** Objects with findings, as check's printers read them. */
  report: Report;
  /** Objects judged, per kind. */
  judged: Record<string, number>;
  /** Pods whose findings are their controller's, folded into it. */
  sharedPods: number;
  /** Objects with findings beyond maxReportedObjects: counted, not listed. */
  unreported: number;
  /** Findings per rule and action, after folding: what the metrics count. */
  violations: { ruleId: string; action: ReportAction; count: number }[];
  /** Lists that started over after an expired continue token. */
  restarts: number;
  /** Rules that threw, per object (kuma-guard bugs). */
  failures: { object: string; ruleId: string; error: unknown }[];
}

/** Appended to a missing patch on a controller: nothing fails today, the next pod will. */
const NEXT_CREATION = "pods of this KIND will fail at their next creation (rollout, scale-up, node drain)";

/** Longest stretch of judging without yielding to other work (admission requests in the server). */
const YIELD_AFTER_MS = 5;

/** Where a Pod's findings go when its controller (or the controller's controller) had the same. */
interface Owner {
  object: ReportObject;
  keys: ReadonlySet<string>;
  sharedPods: number;
}

export async function runAudit(http: KubeHttp, policy: Policy, version: string, options: AuditOptions = {}): Promise<AuditResult> {
  const limit = options.pageSize;
  const maxReported = options.maxReportedObjects ?? 10_000;
  const judged: Record<string, number> = {};
  const objects: ReportObject[] = [];
  const owners = new Map<string, Owner>();
  const ownersWithPods = new Set<Owner>();
  const violations = new Map<string, number>();
  const failures: AuditResult["failures"] = [];
  let listed = 0;
  let unreported = 0;
  let restarts = 0;
  const inScope = (item: Record<string, unknown>): boolean => options.namespace === undefined || namespaceOf(item) === options.namespace;
  const progress = (kind: string): void => options.onProgress?.({ listed, judged: Object.values(judged).reduce((a, b) => a + b, 0), kind });

  // ContainerPatches first: they are the catalog every workload is judged against.
  const namespaces = policy.settings.controlPlaneNamespaces;
  const patchObjects: Record<string, unknown>[] = [];
  const stored: StoredContainerPatch[] = [];
  restarts += (
    await listPages(http, CONTAINER_PATCHES, { limit, ...signalOf(options) }, (items) => {
      for (const item of items) {
        if (!isRecord(item)) continue;
        const object = withKind(item, CONTAINER_PATCHES);
        const patch = toStoredPatch(object, "");
        if (patch && namespaces.includes(patch.namespace)) stored.push(patch);
        if (inScope(object) && matchesSelector(object, options.selector)) patchObjects.push(object);
      }
      listed += items.length;
      progress(CONTAINER_PATCHES.kind);
    })
  ).restarts;
  const catalog: CatalogView = viewOf(indexPatches(stored), namespaces);
  // Namespaces are listed before the workloads: their labels say whether Kuma injects them.
  const namespaceLabels = new Map<string, Labels>();
  const snapshot = createSnapshot(policy, catalog, (namespace) => namespaceLabels.get(namespace), options.controlPlane);

  const judge = (object: Record<string, unknown>, resource: Resource): void => {
    const request = toCreateRequest(object, "");
    if (resource === NAMESPACES) namespaceLabels.set(request.name, labelsOf(object));
    const verdict = review(request, { snapshot });
    judged[resource.kind] = (judged[resource.kind] ?? 0) + 1;
    let findings = reportFindingsOf(verdict, policy.onError);
    const described = `${resource.kind} ${request.namespace ? `${request.namespace}/` : ""}${request.name}`;
    for (const failure of verdict.failures) failures.push({ object: described, ruleId: failure.ruleId, error: failure.error });
    if (findings.length === 0) return;

    const metadata = isRecord(object["metadata"]) ? object["metadata"] : {};
    const owner = controllerUid(metadata);
    const ownerRecord = owner === undefined ? undefined : owners.get(owner);
    if (ownerRecord) {
      const own = findings.filter((f) => !ownerRecord.keys.has(keyOf(f)));
      if (own.length < findings.length && resource.kind === "Pod") {
        ownerRecord.sharedPods++;
        ownersWithPods.add(ownerRecord);
      }
      findings = own;
    }
    const uid = typeof metadata["uid"] === "string" ? metadata["uid"] : undefined;
    if (findings.length === 0) {
      // Everything it has, its controller has: its own Pods fold into the same object.
      if (uid !== undefined && ownerRecord && resource.kind !== "Pod") owners.set(uid, ownerRecord);
      return;
    }
    const keys = new Set([...(ownerRecord?.keys ?? []), ...findings.map(keyOf)]);
    if (resource.kind !== "Pod") {
      for (const f of findings)
        if (f.ruleId === "workload-missing-patch" && f.action !== "audit")
          f.message = `${f.message}; ${NEXT_CREATION.replace("KIND", resource.kind)}`;
    }
    for (const f of findings) violations.set(`${f.ruleId}\u0000${f.action}`, (violations.get(`${f.ruleId}\u0000${f.action}`) ?? 0) + 1);
    if (objects.length >= maxReported) {
      unreported++;
      return;
    }
    const reported: ReportObject = {
      kind: resource.kind,
      namespace: request.namespace,
      name: request.name,
      file: objectPath(resource, request.namespace, request.name),
      line: 1,
      findings: sortFindings(findings),
    };
    objects.push(reported);
    if (uid !== undefined && resource.kind !== "Pod") {
      owners.set(uid, { object: reported, keys, sharedPods: 0 });
    }
  };

  for (const object of patchObjects) judge(object, CONTAINER_PATCHES);
  patchObjects.length = 0;

  for (const resource of [NAMESPACES, ...WORKLOAD_RESOURCES]) {
    if (options.signal?.aborted) break;
    const namespace = resource.namespaced ? options.namespace : undefined;
    const result = await listPages(
      http,
      resource,
      { limit, namespace, labelSelector: options.selector, ...signalOf(options) },
      async (items) => {
        let slice = performance.now();
        for (const item of items) {
          if (!isRecord(item)) continue;
          if (resource === NAMESPACES && options.namespace !== undefined && nameOf(item) !== options.namespace) continue;
          judge(withKind(item, resource), resource);
          // In the server the audit shares the event loop with admission: give it way every few ms.
          if (performance.now() - slice > YIELD_AFTER_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            slice = performance.now();
          }
        }
        listed += items.length;
        progress(resource.kind);
      },
    );
    restarts += result.restarts;
  }
  if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error("audit aborted");

  let sharedPods = 0;
  for (const owner of ownersWithPods) {
    sharedPods += owner.sharedPods;
    const note = ` (also on ${owner.sharedPods} Pod${owner.sharedPods === 1 ? "" : "s"} it controls)`;
    for (const f of owner.object.findings) f.message += note;
  }

  const builtIn = new Set(BUILT_IN_RULE_IDS);
  const rules: RuleInfo[] = [
    ...policy.rules.map((rule) => ({ id: rule.id, summary: rule.summary, builtIn: builtIn.has(rule.id) })),
    {
      id: INTERNAL_ERROR_RULE,
      summary: "A rule failed with an exception (a kuma-guard bug); answered per the policy's onError",
      builtIn: false,
    },
  ];
  return {
    report: { tool: { name: "kuma-guard", version }, files: [], objects, skipped: 0, rules },
    judged,
    sharedPods,
    unreported,
    violations: [...violations].map(([key, count]) => {
      const [ruleId = "", action = "deny"] = key.split("\u0000");
      return { ruleId, action: action as ReportAction, count };
    }),
    restarts,
    failures,
  };
}

/** List items carry no apiVersion and kind; review() routes on them. */
function withKind(item: Record<string, unknown>, resource: Resource): Record<string, unknown> {
  return { ...item, apiVersion: resource.apiPath.replace(/^\/apis?\//, ""), kind: resource.kind };
}

function controllerUid(metadata: Record<string, unknown>): string | undefined {
  const refs = Array.isArray(metadata["ownerReferences"]) ? metadata["ownerReferences"] : [];
  for (const ref of refs) if (isRecord(ref) && ref["controller"] === true && typeof ref["uid"] === "string") return ref["uid"];
  return undefined;
}

/** A Pod's finding matches its owner's by rule and message (the field paths differ). */
const keyOf = (finding: ReportFinding): string => `${finding.ruleId}\u0000${finding.message}`;

function namespaceOf(item: Record<string, unknown>): string {
  const metadata = isRecord(item["metadata"]) ? item["metadata"] : {};
  return typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
}

function nameOf(item: Record<string, unknown>): string {
  const metadata = isRecord(item["metadata"]) ? item["metadata"] : {};
  return typeof metadata["name"] === "string" ? metadata["name"] : "";
}

/**
 * ContainerPatches are listed without the selector (all of them form the catalog), so the
 * selector is applied here to decide which of them are judged. Equality terms only
 * (`a=b,c!=d`, `e`, `!f`); anything else matches, as the API server would have filtered it.
 */
function matchesSelector(item: Record<string, unknown>, selector: string | undefined): boolean {
  if (!selector) return true;
  const metadata = isRecord(item["metadata"]) ? item["metadata"] : {};
  const labels = isRecord(metadata["labels"]) ? metadata["labels"] : {};
  for (const raw of selector.split(",")) {
    const term = raw.trim();
    if (term === "" || term.includes("(")) continue;
    const notEqual = term.match(/^([^!=\s]+)\s*!=\s*(\S*)$/);
    if (notEqual) {
      if (labels[notEqual[1]!] === notEqual[2]) return false;
      continue;
    }
    const equal = term.match(/^([^!=\s]+)\s*==?\s*(\S*)$/);
    if (equal) {
      if (labels[equal[1]!] !== equal[2]) return false;
      continue;
    }
    if (term.startsWith("!")) {
      if (Object.hasOwn(labels, term.slice(1))) return false;
    } else if (!Object.hasOwn(labels, term)) return false;
  }
  return true;
}

const signalOf = (options: AuditOptions): { signal?: AbortSignal } => (options.signal ? { signal: options.signal } : {});

/** An object's labels, string values only (the API server allows no others). */
function labelsOf(object: Record<string, unknown>): Labels {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  return Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
