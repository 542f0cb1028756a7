// Test certificates made with the openssl CLI (present on developer machines and CI): a CA
// the client pins, and serving certificates for 127.0.0.1 it signs, each with its own key.
import { execFile } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed (is the openssl CLI installed?): ${e.stderr ?? e.message}`);
  }
}

export interface TestCa {
  /** PEM of the CA certificate, for `ca:` in a client agent. */
  cert: Buffer;
  dir: string;
  /** Removes every file this CA and its certificates used. */
  cleanup(): Promise<void>;
}

export interface TestCertificate {
  cert: Buffer;
  key: Buffer;
  /** As getPeerCertificate().fingerprint256 reports it. */
  fingerprint256: string;
}

/** A fresh CA in its own temporary directory. */
export async function createTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "kuma-guard-ca-"));
  await openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=kuma-guard test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return { cert: await readFile(join(dir, "ca.crt")), dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A serving certificate for 127.0.0.1 and localhost (or, for clientAuth, a client's) with a new key and a random serial. */
export async function issueCertificate(
  ca: TestCa,
  name = "localhost",
  usage: "serverAuth" | "clientAuth" = "serverAuth",
): Promise<TestCertificate> {
  const id = randomBytes(6).toString("hex");
  const [key, csr, crt, ext] = ["key", "csr", "crt", "ext"].map((suffix) => `leaf-${id}.${suffix}`) as [string, string, string, string];
  await writeFile(join(ca.dir, ext), `subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=${usage}\n`);
  await openssl(
    ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`],
    ca.dir,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      crt,
    ],
    ca.dir,
  );
  const cert = await readFile(join(ca.dir, crt));
  return { cert, key: await readFile(join(ca.dir, key)), fingerprint256: new X509Certificate(cert).fingerprint256 };
}
