import type { Action, AnyRule, ContainerTemplates, JsonObject, KumaSettings, Severity, Subject } from "../rules/types.js";

/** A loaded, validated and compiled policy: everything a review needs, read-only. */
export interface Policy {
  readonly name: string;
  /** The file it came from, or "<bundled>". */
  readonly source: string;
  readonly settings: KumaSettings;
  /** What an exception inside a rule answers. */
  readonly onError: "allow" | "deny";
  /** Kuma 2.14's rendered containers (Helm defaults) after the policy's `templates` merge patch. */
  readonly templates: ContainerTemplates;
  /** The policy's `templates` merge patches, applied over the containers of the Kuma judged against. */
  readonly templatePatch?: { readonly sidecar: JsonObject; readonly init: JsonObject };
  /** spec.kuma.version, validated: it wins over the control plane's version. */
  readonly kumaVersion?: string;
  /** The policy sets defaultContainerPatches, overriding the control plane's list. */
  readonly overridesDefaultPatches?: boolean;
  /** Built-in rules, then the policy's custom rules, in evaluation order. */
  readonly rules: readonly AnyRule[];
  /** The action for a finding: an explicit rule action applies to all its findings;
   *  otherwise errors get the rule's default action and advisories warn. */
  actionFor(ruleId: string, severity: Severity): Action;
  /** Whether an exemption of this policy switches the rule off for this subject. */
  isExempt(ruleId: string, subject: Subject): boolean;
  /** Ids of the policy's custom rules, in order (bounded metric labels); optional so hand-made test policies need not set it. */
  readonly customRuleIds?: readonly string[];
  /** Problems found at load that do not stop the policy (`<file>: <field>: <text>`); logged by the loader. */
  readonly warnings?: readonly string[];
}
