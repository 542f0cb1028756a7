// npm test runs the test files in a few processes, not one process each: a process that loads
// the code under test (express, ajv, kubernetes-models, the Kubernetes client) costs 0.5-1.5 s
// of CPU, which for 74 files was about half of the test runner's CPU. This writes
// .test-build/shards/<i>.test.js, each importing every n-th compiled test file, for
// `node --test` to run side by side. A test file must therefore not depend on process-wide
// state another file may leave (environment, working directory, modules already loaded; a
// test about a fresh process starts one), and must not register top-level beforeEach or
// afterEach hooks, which would wrap the other files' tests too.
//
// Usage: node .test-build/test/support/shards.js <n>
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** .test-build/, from the compiled file in .test-build/test/support/. */
const BUILD = new URL("../../", import.meta.url);

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write("usage: shards.js <number of processes>\n");
  process.exit(2);
}

const files = readdirSync(new URL("test/", BUILD), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".test.js"))
  .sort();
const shards = Array.from({ length: Math.min(count, files.length) }, (_, index) => files.filter((_, i) => i % count === index));

const dir = new URL("shards/", BUILD);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
for (const [index, shard] of shards.entries()) {
  writeFileSync(new URL(`${index}.test.js`, dir), shard.map((file) => `import "../test/${file}";\n`).join(""));
}
process.stdout.write(`${fileURLToPath(dir)}: ${files.length} test files, ${shards.length} processes\n`);
