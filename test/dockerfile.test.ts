// The Dockerfile cannot be built here, so it is parsed and held to its promises: pinned
// Node 24 base, multi-stage, production dependencies only, numeric non-root USER,
// `node /app/dist/cli.js serve`, no HEALTHCHECK; and .dockerignore sends only what it copies.
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

/** The repository root, from the compiled file in .test-build/test/. */
const REPO_ROOT = new URL("../../", import.meta.url);

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions of a Dockerfile: continuation lines joined, comments and blank lines dropped. */
function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = pending + line;
    pending = "";
    const match = /^(\S+)\s*(.*)$/.exec(whole)!;
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  return out;
}

/** Stages with ${VAR}/$VAR in FROM resolved from the global ARG defaults. */
function parseStages(instructions: Instruction[]): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "ARG" && stages.length === 0) {
      const [name, value] = instruction.args.split("=", 2);
      if (value !== undefined) args[name!.trim()] = value.trim();
      continue;
    }
    if (instruction.keyword === "FROM") {
      const parts = instruction.args.split(/\s+/).filter((p) => !p.startsWith("--platform"));
      const image = parts[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? "");
      const name = parts[1]?.toUpperCase() === "AS" ? parts[2] : undefined;
      stages.push({ image, name, instructions: [] });
      continue;
    }
    assert.ok(stages.length > 0, `${instruction.keyword} before the first FROM`);
    stages.at(-1)!.instructions.push(instruction);
  }
  return { args, stages };
}

const dockerfile = readFileSync(new URL("Dockerfile", REPO_ROOT), "utf8");
const { stages } = parseStages(parseInstructions(dockerfile));
const final = stages.at(-1)!;
const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

/** An exec-form (JSON array) argument, or a failure naming the instruction. */
function execForm(instruction: Instruction | undefined, keyword: string): unknown {
  assert.ok(instruction, `no ${keyword}`);
  try {
    return JSON.parse(instruction.args);
  } catch {
    return assert.fail(`${keyword} must use the exec form (JSON array), got: ${instruction.args}`);
  }
}

/** A package-manager command that could install dev dependencies. */
function installsDevDependencies(run: string): string | undefined {
  for (const command of run.split(/&&|;|\|\|/).map((c) => c.trim())) {
    if (/^(yarn|pnpm)\b/.test(command)) return command;
    if (/^npm\s+(install|i|add)\b/.test(command)) return command;
    if (/^npm\s+ci\b/.test(command) && !/--omit=dev\b|--only=prod(uction)?\b|--production\b/.test(command)) return command;
  }
  return undefined;
}

describe("Dockerfile", () => {
  test("is multi-stage", () => {
    assert.ok(stages.length >= 2, "a build stage and a runtime stage");
  });

  test("every base image is Node 24 pinned to a full version", () => {
    for (const stage of stages) {
      if (stageNames.has(stage.image)) continue;
      assert.match(stage.image, /^node:24\.\d+\.\d+(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$/, `FROM ${stage.image}`);
    }
  });

  test("the build stage compiles with all dependencies", () => {
    const builder = stages.find((s) => of(s, "RUN").some((r) => /npm run build\b/.test(r.args)));
    assert.ok(builder, "a stage runs npm run build");
    assert.ok(builder !== final, "the build happens outside the runtime stage");
    assert.ok(
      of(builder, "RUN").some((r) => /^npm ci\b/.test(r.args)),
      "npm ci from the lockfile",
    );
  });

  test("the runtime stage installs no dev dependencies", () => {
    for (const run of of(final, "RUN")) assert.equal(installsDevDependencies(run.args), undefined, `RUN ${run.args}`);
    assert.ok(
      of(final, "RUN").some((r) => /npm ci\b.*--omit=dev/.test(r.args)),
      "npm ci --omit=dev from the lockfile",
    );
    // node_modules copied from another stage must come from a production-only install too.
    for (const copy of of(final, "COPY")) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      if (from && /node_modules/.test(copy.args)) {
        const source = stages.find((s) => s.name === from);
        assert.ok(source, `COPY --from=${from}`);
        for (const run of of(source, "RUN")) assert.equal(installsDevDependencies(run.args), undefined, `stage ${from}: RUN ${run.args}`);
      }
    }
  });

  test("the runtime stage carries dist/, schemas/, policies/ and package.json", () => {
    const copies = of(final, "COPY").map((c) => c.args);
    for (const wanted of [/--from=\S+\s+\S*dist\b/, /\bschemas\b/, /\bpolicies\b/, /\bpackage\.json\b/]) {
      assert.ok(
        copies.some((c) => wanted.test(c)),
        `COPY matching ${wanted}`,
      );
    }
  });

  test("the runtime stage runs as a numeric non-root user", () => {
    const user = of(final, "USER").at(-1);
    assert.ok(user, "USER in the final stage");
    const match = /^(\d+)(?::(\d+))?$/.exec(user.args.trim());
    assert.ok(match, `USER ${user.args} must be numeric (runAsNonRoot cannot check names)`);
    assert.notEqual(Number(match[1]), 0, "not root");
  });

  test("the entrypoint is node /app/dist/cli.js, serve by default: `docker run IMAGE check -` runs the CLI from any -w", () => {
    assert.deepEqual(execForm(of(final, "ENTRYPOINT").at(-1), "ENTRYPOINT"), ["node", "/app/dist/cli.js"]);
    assert.equal(of(final, "WORKDIR").at(-1)?.args, "/app", "the entrypoint's path is under the WORKDIR the files are copied to");
    assert.deepEqual(execForm(of(final, "CMD").at(-1), "CMD"), ["serve"]);
  });

  test("no HEALTHCHECK: Kubernetes probes /readyz and /healthz", () => {
    for (const stage of stages) assert.deepEqual(of(stage, "HEALTHCHECK"), []);
  });
});

// --- .dockerignore ------------------------------------------------------------------------------

/** Docker's .dockerignore semantics, simplified: last matching pattern wins, `!` re-includes. */
function isIgnored(path: string, patterns: readonly string[]): boolean {
  const segments = path.split("/");
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const regex = new RegExp(
      `^${pattern
        .split("/")
        .map((part) =>
          part === "**"
            ? ".*"
            : part
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/")
        .replace(/\.\*\//g, "(?:.*/)?")}$`,
    );
    // A pattern that matches a directory also matches everything below it.
    const matched = segments.some((_, i) => regex.test(segments.slice(0, i + 1).join("/")));
    if (matched) ignored = !negate;
  }
  return ignored;
}

describe(".dockerignore", () => {
  const patterns = readFileSync(new URL(".dockerignore", REPO_ROOT), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const contextSources = stages
    .flatMap((s) => of(s, "COPY"))
    .filter((c) => !/--from=/.test(c.args))
    .flatMap((c) =>
      c.args
        .split(/\s+/)
        .filter((p) => !p.startsWith("--"))
        .slice(0, -1),
    )
    .map((p) => p.replace(/^\.\//, "").replace(/\/$/, ""));

  const cases = [
    ...contextSources.map((path) => ({ path, ignored: false })),
    { path: "src/cli.ts", ignored: false },
    { path: "node_modules/yaml/package.json", ignored: true },
    { path: "src/node_modules/x.js", ignored: true },
    { path: ".git/HEAD", ignored: true },
    { path: "dist/cli.js", ignored: true },
    { path: ".test-build/test/x.js", ignored: true },
    { path: "test/app.test.ts", ignored: true },
    { path: "deploy/base/deployment.yaml", ignored: true },
  ];
  for (const c of cases) {
    test(`${c.path} ${c.ignored ? "stays out of" : "is in"} the build context`, () => {
      assert.equal(isIgnored(c.path, patterns), c.ignored);
    });
  }
});
