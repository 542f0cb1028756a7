// The parts of admission.k8s.io/v1 and v1beta1 AdmissionReview that kuma-guard reads and writes.
// Both versions share one shape; the response echoes the request's apiVersion.

export const ADMISSION_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;
export type AdmissionApiVersion = (typeof ADMISSION_VERSIONS)[number];

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace: string;
  name: string;
  operation: Operation;
  object: unknown;
  oldObject: unknown;
  dryRun: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}
