// Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection package
// does it: try to acquire or renew every retry period; a lease is free when its holder is empty
// or has not renewed for leaseDurationSeconds *as observed locally* (no trust in other
// replicas' clocks); a leader that cannot renew within the renew deadline stops leading; the
// lease is released (holder emptied) on a clean stop so that another replica takes over at once.
// Only the background audit and the PolicyReports need a leader: every replica answers admission.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logger.js";
import { isRecord } from "./kube-http.js";
import type { KubeHttp } from "./kube-http.js";

export interface LeaderElectionOptions {
  http: KubeHttp;
  namespace: string;
  name: string;
  /** This replica: the pod name (unique across replicas and restarts). */
  identity: string;
  logger: Logger;
  /** client-go's defaults: 15 s, 10 s, 2 s. */
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  now?: () => number;
  onChange?: (leading: boolean) => void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops electing; a leader releases the lease first. */
  close(): Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const { http, logger, identity } = options;
  const now = options.now ?? Date.now;
  const leaseDuration = (options.leaseDurationSeconds ?? 15) * 1000;
  const renewDeadline = (options.renewDeadlineSeconds ?? 10) * 1000;
  const retryPeriod = (options.retryPeriodSeconds ?? 2) * 1000;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases/${encodeURIComponent(options.name)}`;
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  const closing = new AbortController();
  let leading = false;
  let lastRenew = 0;
  /** The holder's record as last seen, and when it was seen to change (client-go's observedTime). */
  let observed = "";
  let observedAt = 0;

  const setLeading = (value: boolean): void => {
    if (value === leading) return;
    leading = value;
    logger.info(
      { lease: `${options.namespace}/${options.name}`, identity },
      value ? "became the audit leader" : "stopped leading the audit",
    );
    options.onChange?.(value);
  };

  /** One try, as client-go's tryAcquireOrRenew: true when this replica holds the lease after it. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const stamp = microTime(now());
    const got = await http.call("GET", path, { timeoutMs: retryPeriod * 2, signal: closing.signal });
    if (got.status === 404) {
      const created = await http.call("POST", collection, {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: options.name, namespace: options.namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: leaseDuration / 1000,
            acquireTime: stamp,
            renewTime: stamp,
            leaseTransitions: 0,
          },
        },
        timeoutMs: retryPeriod * 2,
        signal: closing.signal,
      });
      return created.status === 201 || created.status === 200;
    }
    if (got.status !== 200 || !isRecord(got.body)) throw new Error(`GET lease ${options.namespace}/${options.name}: HTTP ${got.status}`);
    const lease = got.body;
    const spec: LeaseSpec = isRecord(lease["spec"]) ? (lease["spec"] as LeaseSpec) : {};
    const record = JSON.stringify(spec);
    if (record !== observed) {
      observed = record;
      observedAt = now();
    }
    const holder = spec.holderIdentity ?? "";
    const duration = (spec.leaseDurationSeconds ?? leaseDuration / 1000) * 1000;
    if (holder !== "" && holder !== identity && observedAt + duration > now()) return false;
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: leaseDuration / 1000,
      acquireTime: holder === identity && spec.acquireTime ? spec.acquireTime : stamp,
      renewTime: stamp,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
    };
    const put = await http.call("PUT", path, { body: { ...lease, spec: next }, timeoutMs: retryPeriod * 2, signal: closing.signal });
    if (put.status === 200) {
      observed = JSON.stringify(isRecord(put.body) && isRecord(put.body["spec"]) ? put.body["spec"] : next);
      observedAt = now();
      return true;
    }
    return false; // 409: another replica wrote first
  };

  const loop = async (): Promise<void> => {
    while (!closing.signal.aborted) {
      try {
        if (await tryAcquireOrRenew()) {
          lastRenew = now();
          setLeading(true);
        } else if (leading) setLeading(false);
      } catch (e) {
        if (closing.signal.aborted) break;
        logger.warn({ err: e }, "leader election: lease not read or written");
      }
      if (leading && now() - lastRenew > renewDeadline) setLeading(false); // could not renew in time
      try {
        // client-go jitters acquisition retries by 1.2×; renewals run every retry period.
        await sleep(leading ? retryPeriod : retryPeriod * (1 + Math.random() * 0.2), undefined, { signal: closing.signal, ref: false });
      } catch {
        break;
      }
    }
  };
  const running = loop();

  return {
    isLeader: () => leading,
    async close() {
      closing.abort();
      await running;
      if (!leading) return;
      setLeading(false);
      // Release as client-go's ReleaseOnCancel: empty holder, so the next replica need not wait out the lease.
      try {
        const got = await http.call("GET", path, { timeoutMs: 2000 });
        if (got.status !== 200 || !isRecord(got.body)) return;
        const spec: LeaseSpec = isRecord(got.body["spec"]) ? (got.body["spec"] as LeaseSpec) : {};
        if (spec.holderIdentity !== identity) return;
        const stamp = microTime(now());
        await http.call("PUT", path, {
          body: { ...got.body, spec: { ...spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: stamp, acquireTime: stamp } },
          timeoutMs: 2000,
        });
      } catch (e) {
        logger.warn({ err: e }, "leader election: lease not released; another replica takes over when it expires");
      }
    },
  };
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
