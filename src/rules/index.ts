// Every built-in rule, in evaluation order. Ids are stable and never reused;
// test/rules-sync.test.ts keeps this list, docs/rules.md and the policy schema in step.
import { patchNamespace } from "./patch-namespace.js";
import { patchOp } from "./patch-op.js";
import { patchPath } from "./patch-path.js";
import { patchValue } from "./patch-value.js";
import { patchFrom } from "./patch-from.js";
import { patchApply } from "./patch-apply.js";
import { patchContainer } from "./patch-container.js";
import { patchUnknownField } from "./patch-unknown-field.js";
import { patchPrivilege } from "./patch-privilege.js";
import { patchEmpty } from "./patch-empty.js";
import { patchInUse } from "./patch-in-use.js";
import { workloadMissingPatch } from "./workload-missing-patch.js";
import { workloadPatchList } from "./workload-patch-list.js";
import { directAccess } from "./direct-access.js";
import { excludePorts } from "./exclude-ports.js";
import { excludePortsForUids } from "./exclude-ports-for-uids.js";
import { excludePortsForUidsLegacy } from "./exclude-ports-for-uids-legacy.js";
import { excludeIps } from "./exclude-ips.js";
import { sidecarInjection } from "./sidecar-injection.js";
import { annotationValue } from "./annotation-value.js";
import { annotationUnknown } from "./annotation-unknown.js";
import { annotationPlacement } from "./annotation-placement.js";
import { workloadLabel } from "./workload-label.js";
import { sidecarUid } from "./sidecar-uid.js";
import type { AnyRule } from "./types.js";

export const BUILT_IN_RULES: readonly AnyRule[] = [
  patchNamespace,
  patchOp,
  patchPath,
  patchValue,
  patchFrom,
  patchApply,
  patchContainer,
  patchUnknownField,
  patchPrivilege,
  patchEmpty,
  patchInUse,
  workloadMissingPatch,
  workloadPatchList,
  directAccess,
  excludePorts,
  excludePortsForUids,
  excludePortsForUidsLegacy,
  excludeIps,
  sidecarInjection,
  annotationValue,
  annotationUnknown,
  annotationPlacement,
  workloadLabel,
  sidecarUid,
];

export const BUILT_IN_RULE_IDS: readonly string[] = BUILT_IN_RULES.map((rule) => rule.id);
