// A thin JSON client for the Kubernetes API: what the audit, the references index, the Lease
// and the PolicyReports need (paged lists, metadata-only lists and watches, writes), with the
// credentials and TLS of a KubeConfig. Raw requests instead of client-node's typed APIs: the
// typed models copy every field of every object (50,000 Pods), and they cannot ask for
// PartialObjectMetadata.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { RequestOptions } from "node:https";
import type { IncomingMessage } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";

/** Ask for metadata only, as controller-runtime's metadata informers do (never pod specs). */
export const METADATA_ONLY_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
export const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

export interface KubeResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
}

export interface KubeHttp {
  /** The API server's address, for messages. */
  readonly server: string;
  /** GET/POST/PUT/DELETE of a path with a JSON body; never throws on an HTTP status, only on transport errors. */
  call(
    method: string,
    path: string,
    options?: {
      query?: Record<string, string | number | boolean | undefined>;
      body?: unknown;
      accept?: string;
      timeoutMs?: number;
      signal?: AbortSignal;
    },
  ): Promise<KubeResponse>;
  /**
   * A watch: one callback per JSON line. Resolves when the server ends the stream or `signal`
   * aborts; rejects on transport errors and on a non-200 status (error.statusCode set).
   */
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    options?: { accept?: string; signal?: AbortSignal },
  ): Promise<void>;
}

/** An HTTP status other than the expected one, with the API's metav1.Status message. */
export class KubeStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly status: unknown,
    what: string,
  ) {
    super(`${what}: HTTP ${statusCode}${statusMessage(status)}`);
  }
}

function statusMessage(status: unknown): string {
  const message = isRecord(status) ? status["message"] : undefined;
  return typeof message === "string" && message !== "" ? `: ${message}` : "";
}

/** Default: in-cluster service account, else KUBECONFIG / ~/.kube/config. */
export async function loadKubeConfig(): Promise<KubeConfig> {
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  return config;
}

export function createKubeHttp(kubeConfig: KubeConfig): KubeHttp {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster (set KUBECONFIG or use --context in kubectl config)");
  const base = new URL(cluster.server);
  const secure = base.protocol === "https:";
  const prefix = base.pathname.replace(/\/$/, "");

  const open = async (
    method: string,
    path: string,
    query: Record<string, string | number | boolean | undefined> | undefined,
    accept: string,
    signal?: AbortSignal,
  ): Promise<{ options: RequestOptions }> => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== "") search.set(key, String(value));
    const options: RequestOptions = {
      method,
      hostname: base.hostname.replace(/^\[|\]$/g, ""),
      port: base.port || (secure ? 443 : 80),
      path: `${prefix}${path}${search.size > 0 ? `?${search}` : ""}`,
      headers: { Accept: accept },
      ...(signal ? { signal } : {}),
    };
    await kubeConfig.applyToHTTPSOptions(options);
    return { options };
  };

  const send = (options: RequestOptions, body: string | undefined): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(options, resolve);
      req.on("error", reject);
      if (body !== undefined) {
        req.setHeader("Content-Type", "application/json");
        req.setHeader("Content-Length", Buffer.byteLength(body));
        req.end(body);
      } else req.end();
    });

  return {
    server: cluster.server,
    async call(method, path, options = {}) {
      const controller = new AbortController();
      const timer = options.timeoutMs
        ? setTimeout(
            () => controller.abort(new Error(`no answer from the Kubernetes API within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          )
        : undefined;
      const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
      try {
        const { options: request } = await open(method, path, options.query, options.accept ?? "application/json", signal);
        const res = await send(request, options.body === undefined ? undefined : JSON.stringify(options.body));
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return { status: res.statusCode ?? 0, body };
      } catch (e) {
        // An abort by the deadline reports the deadline, not "This operation was aborted".
        throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : e;
      } finally {
        if (timer) clearTimeout(timer);
      }
    },
    async watch(path, query, onEvent, options = {}) {
      const { options: request } = await open("GET", path, { ...query, watch: true }, options.accept ?? "application/json", options.signal);
      let res: IncomingMessage;
      try {
        res = await send(request, undefined);
      } catch (e) {
        if (options.signal?.aborted) return;
        throw e;
      }
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        let status: unknown;
        try {
          status = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          status = undefined;
        }
        throw new KubeStatusError(res.statusCode ?? 0, status, `watch ${path}`);
      }
      let pending = "";
      try {
        for await (const chunk of res) {
          pending += (chunk as Buffer).toString("utf8");
          let newline: number;
          while ((newline = pending.indexOf("\n")) >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line === "") continue;
            let event: unknown;
            try {
              event = JSON.parse(line);
            } catch {
              continue; // a torn line: the re-list after the watch ends repairs what it carried
            }
            if (isRecord(event) && typeof event["type"] === "string") onEvent(event["type"], event["object"]);
          }
        }
      } catch (e) {
        if (options.signal?.aborted) return;
        throw e;
      }
    },
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
