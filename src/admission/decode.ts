import { ADMISSION_VERSIONS } from "./types.js";
import type { AdmissionApiVersion, AdmissionRequest, Operation } from "./types.js";
import { failed, parsed } from "../kuma/parse-result.js";
import type { Parsed } from "../kuma/parse-result.js";
import { asRecord } from "../kuma/model.js";

const OPERATIONS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

export interface DecodedReview {
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

/** Reads an AdmissionReview request out of parsed JSON. Total: any value in, a review or an error out. */
export function parseAdmissionReview(body: unknown): Parsed<DecodedReview> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return failed("body is not a JSON object");
  const review = body as Record<string, unknown>;
  if (review.kind !== "AdmissionReview") return failed(`kind must be "AdmissionReview", got ${JSON.stringify(review.kind) ?? "nothing"}`);
  const apiVersion = review.apiVersion;
  if (!ADMISSION_VERSIONS.includes(apiVersion as AdmissionApiVersion)) {
    return failed(`apiVersion must be one of ${ADMISSION_VERSIONS.join(", ")}, got ${JSON.stringify(apiVersion) ?? "nothing"}`);
  }
  if (review.request === null || typeof review.request !== "object" || Array.isArray(review.request)) {
    return failed("request is missing: an AdmissionReview sent to a webhook carries a request object");
  }
  const request = review.request as Record<string, unknown>;
  if (typeof request.uid !== "string" || request.uid === "") return failed("request.uid is missing: it must be a non-empty string");
  const kind = asRecord(request.kind);
  if (typeof kind.kind !== "string") return failed("request.kind.kind is missing: it must name the object's kind");
  if (typeof request.operation !== "string" || !OPERATIONS.has(request.operation)) {
    return failed(
      `request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(request.operation) ?? "nothing"}`,
    );
  }
  return parsed({
    apiVersion: apiVersion as AdmissionApiVersion,
    request: {
      uid: request.uid,
      kind: {
        group: typeof kind.group === "string" ? kind.group : "",
        version: typeof kind.version === "string" ? kind.version : "",
        kind: kind.kind,
      },
      namespace: typeof request.namespace === "string" ? request.namespace : "",
      name: typeof request.name === "string" ? request.name : "",
      operation: request.operation as Operation,
      object: request.object,
      oldObject: request.oldObject,
      dryRun: request.dryRun === true,
    },
  });
}
