// The serving certificate (and the client CA of --client-ca), re-read when its files change, without a restart and without
// dropping connections: a reload swaps the listener's secure context, which only new TLS
// handshakes use; established connections keep theirs.
//
// Kubernetes updates a mounted Secret by writing `..2026_xx/`, then renaming a new `..data`
// symlink over the old one (`tls.crt -> ..data/tls.crt`). fs.watch on the files' directories
// sees that on most filesystems but not all (overlay, network filesystems), and an in-place
// rewrite may be reported per file, so a cheap periodic stat of both paths backs it up.
import { readFile, realpath, stat } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { dirname } from "node:path";
import { failed, parsed } from "../kuma/parse-result.js";
import type { Parsed } from "../kuma/parse-result.js";
import { createChangeWatcher } from "../watch.js";
import type { Logger } from "../watch.js";

// Not an ESM import: that reads every export of node:crypto, and its webcrypto getter loads
// Web Crypto, which the reloader never uses (see serve.ts for node:http).
const { X509Certificate, createPrivateKey } = process.getBuiltinModule("node:crypto");

/** The part of a pino logger the reloader uses. */
export type TlsLogger = Logger;

export interface TlsFiles {
  cert: string;
  key: string;
  /** CA bundle that client certificates must be signed by (--client-ca); re-read like the pair. */
  ca?: string;
}

/** A certificate and key that load, parse and belong together. */
export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
  /** SHA-256 fingerprint, as Node's getPeerCertificate() reports it (AA:BB:...). */
  fingerprint256: string;
  serialNumber: string;
  subject: string;
  /** The client CA bundle, when one is configured. */
  ca?: Buffer;
}

/**
 * Reads and checks a certificate/key pair. Total: a half-written file, a key that does not
 * belong to the certificate or anything else unusable is an error, never a throw.
 */
export async function loadCertificatePair(files: TlsFiles): Promise<Parsed<CertificatePair>> {
  let cert: Buffer;
  let key: Buffer;
  let ca: Buffer | undefined;
  try {
    [cert, key, ca] = await Promise.all([
      readFile(files.cert),
      readFile(files.key),
      files.ca === undefined ? undefined : readFile(files.ca),
    ]);
  } catch (error) {
    return failed(`cannot read the certificate, key or client CA: ${(error as Error).message}`);
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (error) {
      return failed(`${files.ca} (--client-ca) is not a PEM certificate: ${(error as Error).message}`);
    }
  }
  let x509: InstanceType<typeof X509Certificate>;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    return failed(`${files.cert} is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) return failed(`${files.key} is not the key of the certificate in ${files.cert}`);
  } catch (error) {
    return failed(`${files.key} is not a usable private key: ${(error as Error).message}`);
  }
  try {
    // What setSecureContext would do: catches what the checks above do not (e.g. a bad chain).
    createSecureContext({ cert, key, ...(ca !== undefined ? { ca } : {}) });
  } catch (error) {
    return failed(`the certificate, key and client CA do not form a TLS context: ${(error as Error).message}`);
  }
  return parsed({
    cert,
    key,
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    serialNumber: x509.serialNumber,
    subject: x509.subject.replace(/\n/g, ", "),
    ...(ca !== undefined ? { ca } : {}),
  });
}

/**
 * Identity and version of the files as seen through their symlinks: changes when a file is
 * rewritten in place, replaced by rename, or when a `..data` symlink on the way is swapped.
 */
export async function versionOf(files: TlsFiles): Promise<string> {
  const one = async (path: string): Promise<string> => {
    try {
      const [real, info] = await Promise.all([realpath(path), stat(path)]);
      return `${real}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
    } catch (error) {
      return `missing:${(error as NodeJS.ErrnoException).code ?? "?"}`;
    }
  };
  const [cert, key, ca] = await Promise.all([one(files.cert), one(files.key), files.ca === undefined ? "" : one(files.ca)]);
  return `${cert}|${key}|${ca}`;
}

export interface CertificateReloaderOptions {
  files: TlsFiles;
  logger: TlsLogger;
  /** Installs a new pair on the listener (server.setSecureContext). A throw keeps the old pair. */
  apply: (pair: CertificatePair) => void;
  /** How often both files are stat()ed in case fs.watch missed a change. */
  pollIntervalMs?: number;
  /** Writers touch the two files one after the other: wait for the burst to end. */
  debounceMs?: number;
}

export interface CertificateReloader {
  /** The pair in use. */
  current(): CertificatePair;
  /** Re-reads the files now (serialized with watch-triggered reloads); true when a new pair was applied. */
  reload(): Promise<boolean>;
  close(): void;
}

/** 2 s: a rotation is picked up within seconds even without fs.watch; two stat() calls per poll cost nothing. */
export const TLS_POLL_INTERVAL_MS = 2000;
/** 100 ms: long enough to coalesce the events of one Secret update, short against the poll. */
export const TLS_DEBOUNCE_MS = 100;

/**
 * Loads the pair (throws when the first load fails: nothing to serve with), then watches the
 * files' directories and polls their versions; on a change the pair is re-read and applied
 * only when it is complete and consistent. A bad pair keeps the old one and logs a warning
 * once per version of the files. Timers and watchers never keep the process alive.
 */
export async function createCertificateReloader(options: CertificateReloaderOptions): Promise<CertificateReloader> {
  const { files, logger, apply } = options;
  const pollIntervalMs = options.pollIntervalMs ?? TLS_POLL_INTERVAL_MS;
  const debounceMs = options.debounceMs ?? TLS_DEBOUNCE_MS;

  let seen = await versionOf(files);
  const first = await loadCertificatePair(files);
  if (!("value" in first)) throw new Error(`TLS: ${first.error}`);
  let current = first.value;
  logger.info(describe(current, files), "TLS certificate loaded");

  let closed = false;
  // One reload at a time: a change during a reload is picked up by the next one.
  let chain: Promise<boolean> = Promise.resolve(false);
  const reloadOnce = async (force: boolean): Promise<boolean> => {
    if (closed) return false;
    const version = await versionOf(files);
    if (!force && version === seen) return false;
    seen = version;
    const next = await loadCertificatePair(files);
    if (!("value" in next)) {
      // Often transient (one file of the pair written, not yet the other): the next change retries.
      logger.warn({ ...files, error: next.error }, "TLS certificate not reloaded: keeping the current one");
      return false;
    }
    const sameCa = next.value.ca === undefined ? current.ca === undefined : current.ca !== undefined && next.value.ca.equals(current.ca);
    if (next.value.fingerprint256 === current.fingerprint256 && next.value.key.equals(current.key) && sameCa) return false;
    try {
      apply(next.value);
    } catch (error) {
      logger.error({ ...files, err: error }, "TLS certificate not reloaded: the listener refused it; keeping the current one");
      return false;
    }
    const previous = current;
    current = next.value;
    logger.info({ ...describe(current, files), previousSerialNumber: previous.serialNumber }, "TLS certificate reloaded");
    return true;
  };
  const enqueue = (force: boolean): Promise<boolean> => {
    chain = chain.then(
      () => reloadOnce(force),
      () => reloadOnce(force),
    );
    return chain;
  };

  // One watcher per directory: the files' own inodes change on every rotation, their directories do not.
  const watcher = createChangeWatcher({
    dirs: [dirname(files.cert), dirname(files.key), ...(files.ca !== undefined ? [dirname(files.ca)] : [])],
    what: "the TLS files",
    logger,
    onChange: () => enqueue(false),
    isStale: async () => (await versionOf(files)) !== seen,
    pollIntervalMs,
    debounceMs,
  });

  return {
    current: () => current,
    reload: () => enqueue(true),
    close() {
      closed = true;
      void watcher.close();
    },
  };
}

function describe(pair: CertificatePair, files: TlsFiles) {
  return {
    cert: files.cert,
    subject: pair.subject,
    serialNumber: pair.serialNumber,
    fingerprint256: pair.fingerprint256,
    notAfter: pair.notAfter.toISOString(),
  };
}
