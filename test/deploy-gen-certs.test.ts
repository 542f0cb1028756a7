// deploy/gen-certs.sh: the openssl half runs locally (--dry-run); the kubectl half runs
// against a fake kubectl that records its calls.
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";

/** The repository root, from the compiled file in .test-build/test/. */
const REPO_ROOT = new URL("../../", import.meta.url);
const SCRIPT = new URL("deploy/gen-certs.sh", REPO_ROOT).pathname;

const scratch = mkdtempSync(join(tmpdir(), "kuma-guard-gen-certs-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8" });
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync("bash", [SCRIPT, ...args], { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
}

/** A certificate file, read with node:crypto (an openssl process per look costs ~50-100 ms). */
function certificate(file: string): X509Certificate {
  return new X509Certificate(readFileSync(file));
}

/** The DNS names of a certificate's subjectAltName extension. */
function sans(file: string): string[] {
  return (certificate(file).subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** extendedKeyUsage serverAuth, which openssl prints as "TLS Web Server Authentication". */
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

const CASES = [
  { name: "defaults", args: [], sans: ["DNS:kuma-guard.kuma-guard.svc", "DNS:kuma-guard.kuma-guard.svc.cluster.local"] },
  {
    name: "another namespace and service",
    args: ["--namespace", "guard", "--service", "webhook"],
    sans: ["DNS:webhook.guard.svc", "DNS:webhook.guard.svc.cluster.local"],
  },
];

describe("gen-certs.sh --dry-run", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const dir = join(scratch, c.name.replace(/\W+/g, "-"));
      const printed = run(["--dry-run", "--out-dir", dir, ...c.args]).trim();
      assert.equal(printed, dir);
      assert.deepEqual(sans(join(dir, "tls.crt")), c.sans);
      assert.match(openssl("verify", "-CAfile", join(dir, "ca.crt"), join(dir, "tls.crt")), /OK/);
      const serving = certificate(join(dir, "tls.crt"));
      assert.ok(serving.keyUsage?.includes(SERVER_AUTH), `extended key usage: ${serving.keyUsage}`);
      assert.equal(serving.ca, false);
      assert.equal(certificate(join(dir, "ca.crt")).ca, true);
      // The key matches the certificate.
      assert.ok(serving.checkPrivateKey(createPrivateKey(readFileSync(join(dir, "tls.key")))));
    });
  }

  test("a second run reuses the CA (caBundle unchanged) and issues a new serving certificate", () => {
    const dir = join(scratch, "rotation");
    run(["--dry-run", "--out-dir", dir]);
    const ca = readFileSync(join(dir, "ca.crt"), "utf8");
    const serving = readFileSync(join(dir, "tls.crt"), "utf8");
    run(["--dry-run", "--out-dir", dir]);
    assert.equal(readFileSync(join(dir, "ca.crt"), "utf8"), ca);
    assert.notEqual(readFileSync(join(dir, "tls.crt"), "utf8"), serving);
    assert.match(openssl("verify", "-CAfile", join(dir, "ca.crt"), join(dir, "tls.crt")), /OK/);
  });

  test("an unknown flag is a usage error", () => {
    assert.throws(
      () => run(["--bogus"]),
      (error: { status?: number }) => error.status === 2,
    );
  });
});

describe("gen-certs.sh against a cluster (fake kubectl)", () => {
  const bin = join(scratch, "bin");
  const log = join(scratch, "kubectl.log");
  const PATCH = "patch validatingwebhookconfiguration kuma-guard --type json -p ";
  mkdirSync(bin, { recursive: true });
  // Records each call; answers the reads the script makes. PREVIOUS_CA_BUNDLE = installed caBundle.
  writeFileSync(
    join(bin, "kubectl"),
    `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "${log}"
case "$*" in
  *"--dry-run=client -o yaml"*) echo "kind: Secret" ;;
  "apply -f -") cat > /dev/null ;;
  *"{.webhooks[0].clientConfig.caBundle}"*) printf '%s' "\${PREVIOUS_CA_BUNDLE:-}" ;;
  *"range .webhooks"*) printf 'a.kuma-guard.io\\nb.kuma-guard.io\\nc.kuma-guard.io\\n' ;;
esac
`,
  );
  chmodSync(join(bin, "kubectl"), 0o755);

  /** Runs the script with the fake kubectl; returns its calls and the patched caBundle (PEM). */
  function runAgainstFake(dir: string, previousBundle = ""): { calls: string[]; bundle: string } {
    rmSync(log, { force: true });
    run(["--out-dir", dir], { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, PREVIOUS_CA_BUNDLE: previousBundle });
    const calls = readFileSync(log, "utf8").trim().split("\n");
    const patchCall = calls.find((c) => c.startsWith(PATCH));
    assert.ok(patchCall, calls.join("\n"));
    const patch = JSON.parse(patchCall.slice(PATCH.length)) as { op: string; path: string; value: string }[];
    assert.deepEqual(
      patch.map((p) => p.path),
      [0, 1, 2].map((i) => `/webhooks/${i}/clientConfig/caBundle`),
    );
    assert.ok(
      patch.every((p) => p.op === "add" && p.value === patch[0]!.value),
      "the same caBundle on every webhook",
    );
    return { calls, bundle: Buffer.from(patch[0]!.value, "base64").toString("utf8") };
  }

  test("creates the TLS Secret and patches caBundle into every webhook", () => {
    const dir = join(scratch, "cluster");
    const { calls, bundle } = runAgainstFake(dir);
    const create = calls.find((c) => c.startsWith("create secret generic kuma-guard-tls"));
    assert.ok(create, calls.join("\n"));
    assert.match(create, /--namespace kuma-guard --type kubernetes.io\/tls/);
    for (const key of ["tls.crt", "tls.key", "ca.crt"]) assert.ok(create.includes(`--from-file=${key}=`), key);
    assert.equal(bundle, readFileSync(join(dir, "ca.crt"), "utf8"));
  });

  test("a new CA keeps the previous one in caBundle for the rotation window", () => {
    const old = join(scratch, "old-ca");
    run(["--dry-run", "--out-dir", old]);
    const oldCa = readFileSync(join(old, "ca.crt"), "utf8");
    const dir = join(scratch, "new-ca");
    const { bundle } = runAgainstFake(dir, Buffer.from(oldCa).toString("base64"));
    assert.equal(bundle, readFileSync(join(dir, "ca.crt"), "utf8") + oldCa);
  });

  test("the same CA is not repeated in caBundle", () => {
    const dir = join(scratch, "same-ca");
    run(["--dry-run", "--out-dir", dir]);
    const ca = readFileSync(join(dir, "ca.crt"), "utf8");
    const { bundle } = runAgainstFake(dir, Buffer.from(ca).toString("base64"));
    assert.equal(bundle, ca);
  });
});
