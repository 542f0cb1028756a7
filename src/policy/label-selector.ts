import type { Labels } from "../kuma/model.js";

// Kubernetes metav1.LabelSelector with the API server's semantics.
// Kubernetes: staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector)
// and pkg/labels/selector.go (Requirement.Matches): requirements are AND-ed; an empty
// selector matches everything; NotIn and DoesNotExist match objects without the key.
// Hand-written because @kubernetes/client-node does not evaluate selectors (the API server does).

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: readonly string[];
}

export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

/** Problems the API server would reject the selector for (values with In/NotIn, none with Exists/DoesNotExist). */
export function selectorProblems(selector: LabelSelector): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  (selector.matchExpressions ?? []).forEach((requirement, index) => {
    const count = requirement.values?.length ?? 0;
    const path = `matchExpressions[${index}].values`;
    if ((requirement.operator === "In" || requirement.operator === "NotIn") && count === 0) {
      problems.push({ path, message: `must not be empty for operator ${requirement.operator}` });
    }
    if ((requirement.operator === "Exists" || requirement.operator === "DoesNotExist") && count > 0) {
      problems.push({ path, message: `must be empty for operator ${requirement.operator}` });
    }
  });
  return problems;
}

/** A predicate over an object's labels; compiled once (value lists become sets). */
export function compileLabelSelector(selector: LabelSelector): (labels: Labels) => boolean {
  const checks: ((labels: Labels) => boolean)[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) checks.push((labels) => labels[key] === value);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const set: ReadonlySet<string> = new Set(values);
    const has = (labels: Labels) => Object.hasOwn(labels, key);
    switch (operator) {
      case "In":
        checks.push((labels) => has(labels) && set.has(labels[key]!));
        break;
      case "NotIn":
        checks.push((labels) => !has(labels) || !set.has(labels[key]!));
        break;
      case "Exists":
        checks.push(has);
        break;
      case "DoesNotExist":
        checks.push((labels) => !has(labels));
        break;
    }
  }
  return (labels) => {
    for (const check of checks) if (!check(labels)) return false;
    return true;
  };
}
