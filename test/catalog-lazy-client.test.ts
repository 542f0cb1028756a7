// The Kubernetes client costs ~80 MB of RSS: only `--kube` may load it (DESIGN: "the Kubernetes
// client is loaded only with --kube"). A resolve hook that refuses @kubernetes/client-node proves
// the catalogs and the manifest reader import fine without it, and that createKubeCatalog is
// what loads it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { REPO_ROOT } from "./support/context.js";

const run = promisify(execFile);

test("importing the catalogs does not load @kubernetes/client-node; createKubeCatalog does", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kuma-guard-lazy-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, "hooks.mjs"),
    `export async function resolve(specifier, context, next) {
      if (specifier === "@kubernetes/client-node") throw new Error("KUBERNETES CLIENT LOADED");
      return next(specifier, context);
    }\n`,
  );
  await writeFile(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
  );
  const build = (path: string) => JSON.stringify(new URL(`.test-build/src/${path}`, REPO_ROOT).href);
  await writeFile(
    join(dir, "main.mjs"),
    `await import(${build("manifests.js")});
    await import(${build("catalog/directory.js")});
    const { createKubeCatalog } = await import(${build("catalog/kube.js")});
    console.log("imported");
    try {
      await createKubeCatalog({ namespaces: [], logger: console });
      console.log("factory ran without the client");
    } catch (e) {
      console.log(e.message);
    }\n`,
  );
  const { stdout } = await run(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, join(dir, "main.mjs")]);
  assert.deepEqual(stdout.trim().split("\n"), ["imported", "KUBERNETES CLIENT LOADED"]);
});

test("no source file imports @kubernetes/client-node at run time except through the kube factory", async () => {
  const src = fileURLToPath(new URL("src/", REPO_ROOT));
  const offenders: string[] = [];
  for (const entry of await readdir(src, { recursive: true })) {
    if (!entry.endsWith(".ts")) continue;
    const text = await readFile(join(src, entry), "utf8");
    if (
      /^\s*import\s+(?!type\b)[^;]*?from\s+["']@kubernetes\/client-node["']/m.test(text) ||
      /^\s*export\s+(?!type\b)[^;]*?from\s+["']@kubernetes\/client-node["']/m.test(text)
    )
      offenders.push(entry);
  }
  assert.deepEqual(offenders, []);
});
