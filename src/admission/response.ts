import type { AdmissionApiVersion, AdmissionReviewResponse } from "./types.js";
import type { RuleFailure, Verdict } from "./review.js";
import type { Finding } from "../rules/types.js";
import { shorten } from "../kuma/message.js";

// Builds every AdmissionReview kuma-guard answers, in the shape of controller-runtime's
// Allowed / Denied helpers (Kuma answers the same way: pkg/webhook/admission/response.go).

/** The API server truncates each warning at 256 characters; we cut first, on our terms. */
const MAX_WARNING_LENGTH = 255;

export const formatFinding = (finding: Finding): string => `${finding.ruleId}: ${finding.message}`;

/** "<rule-id>: <object>: <text>" when that fits a warning; the text is what must not be cut. */
function formatNaming(finding: Finding, checked: string | undefined, limit = Infinity): string {
  const named = checked === undefined ? undefined : `${finding.ruleId}: ${checked}: ${finding.message}`;
  return named !== undefined && named.length <= limit ? named : formatFinding(finding);
}

export function formatFailure(failure: RuleFailure): string {
  const text = failure.error instanceof Error ? failure.error.message : String(failure.error);
  return `internal-error: ${failure.ruleId} failed: ${text}`;
}

/**
 * The verdict when kuma-guard itself failed on a request it could read (a bug outside any
 * one rule): allowed or denied per the policy's onError, with an `internal-error` warning,
 * as a rule that throws is answered.
 */
export function internalErrorVerdict(error: unknown, onError: "allow" | "deny"): Verdict {
  return {
    allowed: onError === "allow",
    kind: undefined,
    denials: [],
    warnings: [],
    audits: [],
    failures: [{ ruleId: "kuma-guard", error }],
  };
}

/** The AdmissionReview answering `uid` with this verdict, in the request's apiVersion. */
export function toAdmissionReview(apiVersion: AdmissionApiVersion, uid: string, verdict: Verdict): AdmissionReviewResponse {
  const warnings = [
    ...verdict.warnings.map((finding) => formatNaming(finding, verdict.checked, MAX_WARNING_LENGTH)),
    ...verdict.failures.map(formatFailure),
  ].map((warning) => shorten(warning, MAX_WARNING_LENGTH));
  const response: AdmissionReviewResponse["response"] = { uid, allowed: verdict.allowed };
  if (!verdict.allowed) {
    const reasons =
      verdict.denials.length > 0
        ? verdict.denials.map((finding) => formatNaming(finding, verdict.checked))
        : verdict.failures.map(formatFailure);
    response.status = { code: 403, reason: "Forbidden", message: reasons.join("; ") };
  }
  if (warnings.length > 0) response.warnings = warnings;
  return { apiVersion, kind: "AdmissionReview", response };
}
