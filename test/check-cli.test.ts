import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Format } from "../src/report/index.js";
import { checkInProcess } from "./support/check.js";
import { runCli } from "./support/cli.js";
import type { CheckCall } from "./support/check.js";
import { REPO_ROOT } from "./support/context.js";

// `kuma-guard check`: exit codes, stdout carrying only the report, problems on stderr. What is
// about the process (argv, stdin, environment variables, the logger's stream, --version) runs
// the CLI as a process; the rest calls runCheck as the CLI does. Fixtures are real
// multi-document manifests; assertions hold whatever other rules later add to them (no exact
// finding lists for the whole fixture).

const HELM = "test/fixtures/manifests/helm/shop.yaml";
const CLEAN = "test/fixtures/manifests/clean";
const TREE = "test/fixtures/manifests/tree";
const BROKEN = "test/fixtures/manifests/broken.yaml";

interface JsonReport {
  summary: { denied: number; warned: number; audited: number };
  findings: {
    ruleId: string;
    action: string;
    severity: string;
    kind: string;
    namespace: string;
    name: string;
    file: string;
    line: number;
    message: string;
  }[];
}

/** `kuma-guard check <args>` as a process. */
const checkProcess = (args: string[], input?: string) => runCli(["check", ...args], input === undefined ? {} : { input });

/** `kuma-guard check` in this process, with `paths` and the flags' values. */
const check = (paths: string[], flags: Omit<CheckCall, "paths"> = {}) => checkInProcess({ paths, ...flags });

async function checkJson(paths: string[], flags: Omit<CheckCall, "paths" | "format"> = {}) {
  const run = await check(paths, { ...flags, format: "json" });
  return { ...run, report: JSON.parse(run.stdout) as JsonReport };
}

test("Helm output with a denial: exit 1, text grouped by object with file:line, other kinds only counted", async () => {
  const { code, stdout, stderr } = await check([HELM]);
  assert.equal(code, 1, stderr);
  assert.equal(stderr, "");
  assert.match(
    stdout,
    new RegExp(
      `^Deployment shop/web  \\(${HELM}:54\\)\\n(  .*\\n)*  ✖ deny   direct-access/padded-entry: .*" payments_shop_svc_8080" is padded`,
      "m",
    ),
  );
  assert.match(
    stdout,
    /^Deployment shop\/api  \(.*shop\.yaml:84\)\n(  .*\n)*  ⚠ warn   annotation-unknown\/unknown: .*kuma\.io\/sidecar-env-vars/m,
  );
  assert.doesNotMatch(stdout, /Service|ConfigMap|ServiceAccount/);
  assert.match(stdout, /^5 objects checked in 1 file \(3 documents of other kinds skipped\): \d+ denied, \d+ warnings?, \d+ audited\n$/m);
  assert.doesNotMatch(stdout, /\u001b\[/, "no colors on a pipe");
});

test("json from stdin (Helm output): DESIGN's document, files and lines from Helm's # Source: comments", () => {
  const run = checkProcess(["-", "--format", "json"], readFileSync(new URL(HELM, REPO_ROOT), "utf8"));
  const { code, stderr } = run;
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.equal(code, 1, stderr);
  assert.deepEqual(Object.keys(report), ["summary", "findings"]);
  const count = (action: string) => report.findings.filter((f) => f.action === action).length;
  assert.deepEqual(report.summary, { denied: count("deny"), warned: count("warn"), audited: count("audit") });
  const web = report.findings.find((f) => f.ruleId === "direct-access");
  assert.deepEqual(web && { ...web, message: "" }, {
    ruleId: "direct-access",
    code: "direct-access/padded-entry",
    action: "deny",
    severity: "error",
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    file: "shop/templates/deployment-web.yaml",
    line: 2,
    message: "",
    params: { entry: " payments_shop_svc_8080", fix: "backend_shop_svc_8080,payments_shop_svc_8080" },
  });
  const kinds = new Set(report.findings.map((f) => f.kind));
  for (const kind of kinds) assert.ok(["Namespace", "ContainerPatch", "Deployment", "StatefulSet"].includes(kind), kind);
});

test("clean manifests: exit 0, nothing denied", async () => {
  const { code, report, stderr } = await checkJson([CLEAN]);
  assert.equal(code, 0, stderr);
  assert.equal(report.summary.denied, 0);
  assert.equal(
    (await check([CLEAN])).stdout,
    "2 objects checked in 1 file (1 document of other kinds skipped): 0 denied, 0 warnings, 0 audited\n",
  );
});

test("a directory is read recursively: .yml and .json files, not README.md", async () => {
  const { code, stdout } = await check([TREE], { format: "junit" });
  assert.equal(code, 1);
  const suites = [...stdout.matchAll(/<testsuite name="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(suites, [`${TREE}/apps/nested/job.json`, `${TREE}/apps/web.yml`]);
  const { report } = await checkJson([TREE]);
  assert.ok(report.findings.some((f) => f.ruleId === "workload-label" && f.name === "tree-web" && f.action === "deny"));
  assert.equal((stdout.match(/<failure /g) ?? []).length, report.summary.denied, "one <failure> per denied finding");
});

test("--namespace fills in documents without one", async () => {
  const pod =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {kuma.io/workload: p}\nspec: {containers: [{name: a, image: a}]}\n";
  assert.ok((await checkJson(["-"], { namespace: "staging", stdin: pod })).report.findings.every((f) => f.namespace === "staging"));
  assert.ok((await checkJson(["-"], { stdin: pod })).report.findings.every((f) => f.namespace === "default"));
});

test("a YAML syntax error exits 2 even with denials, names file:line on stderr, and still reports the rest", async () => {
  const { code, stdout, stderr } = await check([HELM, BROKEN], { format: "json" });
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`^kuma-guard check: ${BROKEN}:\\d+: YAML syntax error: `, "m"));
  const report = JSON.parse(stdout) as JsonReport;
  assert.ok(report.summary.denied > 0, "the readable file is still checked");
});

test("an unreadable document is a finding in every format, located at the error; exit 2", async () => {
  const { code, stdout } = await check([BROKEN], { format: "json" });
  assert.equal(code, 2);
  const finding = (JSON.parse(stdout) as JsonReport).findings.find((f) => f.ruleId === "input-error");
  assert.deepEqual(finding && { ...finding, message: "" }, {
    ruleId: "input-error",
    code: "input-error/yaml-syntax",
    action: "deny",
    severity: "error",
    kind: "",
    namespace: "",
    name: "",
    file: BROKEN,
    line: 6,
    column: 1,
    message: "",
  });
  assert.match(
    (await check([BROKEN], { format: "github" })).stdout,
    new RegExp(`^::error file=${BROKEN},line=6,col=1,title=kuma-guard input-error/yaml-syntax::YAML syntax error: `, "m"),
  );
  assert.match(
    (await check([BROKEN], { format: "junit" })).stdout,
    /<failure type="input-error" message="input-error\/yaml-syntax: YAML syntax error: /,
  );
  const sarif = JSON.parse((await check([BROKEN], { format: "sarif" })).stdout) as {
    runs: {
      results: {
        ruleId: string;
        locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
      }[];
    }[];
  };
  const result = sarif.runs[0]!.results.find((r) => r.ruleId === "input-error");
  assert.deepEqual(result?.locations[0]?.physicalLocation, { artifactLocation: { uri: BROKEN }, region: { startLine: 6, startColumn: 1 } });
});

test("Kuma's documented ContainerPatch with a multi-line '…' value (closed at the key's indentation) is read, and its real finding shown", async () => {
  const { code, stdout, stderr } = await check(["test/fixtures/real/kuma-website/dpp-on-kubernetes-container-patch.yaml"], {
    format: "json",
  });
  assert.equal(stderr, "");
  assert.equal(code, 1);
  const findings = (JSON.parse(stdout) as JsonReport).findings;
  assert.ok(!findings.some((f) => f.ruleId === "input-error"));
  assert.ok(findings.some((f) => f.ruleId === "patch-container" && f.action === "deny" && /allowPrivilegeEscalation/.test(f.message)));
});

test("an unreadable path exits 2 with a clear message", async () => {
  const { code, stderr } = await check(["test/fixtures/manifests/does-not-exist.yaml"]);
  assert.equal(code, 2);
  assert.match(stderr, /does-not-exist\.yaml: cannot be read: no such file or directory/);
});

test("an unknown flag prints one line with a suggestion and a pointer to --help, exit 2", () => {
  const { code, stdout, stderr } = checkProcess(["--fromat", "json", CLEAN]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, "error: unknown option '--fromat' (did you mean --format?)\nRun 'kuma-guard check --help' for usage\n");
});

test("--version prints the package version; -o and --output are --format", async () => {
  const version = runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(
    version.stdout,
    `${(JSON.parse(readFileSync(new URL("package.json", REPO_ROOT), "utf8")) as { version: string }).version}\n`,
  );
  const json = JSON.parse((await check([CLEAN], { format: "json" })).stdout) as JsonReport;
  for (const flag of ["-o", "--output"]) assert.deepEqual(JSON.parse(checkProcess([flag, "json", CLEAN]).stdout), json, flag);
});

test("check --help shows examples for the common cases and exits 0", () => {
  const { code, stdout } = checkProcess(["--help"]);
  assert.equal(code, 0);
  for (const example of ["kuma-guard check deploy/", "| kuma-guard check --namespace shop -", "-o sarif", "-o github", "-o junit"])
    assert.ok(stdout.includes(example), example);
});

test("usage errors exit 2 with the reason on stderr and nothing on stdout", () => {
  for (const args of [[], ["--format", "xml", CLEAN], ["--log-level", "loud", CLEAN], ["--no-such-flag", CLEAN]]) {
    const { code, stdout, stderr } = checkProcess(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.equal(stdout, "", args.join(" "));
    assert.match(stderr, /error: /, args.join(" "));
  }
});

test("a policy that cannot be loaded exits 2 naming the file", () => {
  const { code, stdout, stderr } = checkProcess(["--policy", "test/fixtures/manifests/no-such-policy.yaml", CLEAN]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /no-such-policy\.yaml/);
});

test("--patches: a readable catalog is used, an unreadable one exits 2", async () => {
  assert.equal((await check([CLEAN], { patches: "test/fixtures/manifests/patches" })).code, 0);
  const missing = await check([CLEAN], { patches: "test/fixtures/no-such-dir" });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "kuma-guard check: --patches test/fixtures/no-such-dir: cannot be read: no such file or directory\n");
  const file = await check([CLEAN], { patches: HELM });
  assert.equal(file.code, 2);
  assert.match(file.stderr, /--patches .*shop\.yaml: not a directory/);
});

test("a --patches file that does not parse exits 2 naming file and line; stdout is still exactly the report", () => {
  const { code, stdout, stderr } = checkProcess([HELM, "--patches", "test/fixtures/catalog", "--log-level", "debug", "--format", "json"]);
  assert.equal(code, 2);
  assert.doesNotThrow(() => JSON.parse(stdout));
  assert.match(stderr, /^kuma-guard check: test\/fixtures\/catalog\/broken\.yaml:\d+: /m);
});

test("flags can be set from KUMA_GUARD_* environment variables", () => {
  const result = runCli(["check", CLEAN], { env: { KUMA_GUARD_FORMAT: "json", KUMA_GUARD_NAMESPACE: "from-env" } });
  assert.equal(result.code, 0);
  assert.deepEqual((JSON.parse(result.stdout) as JsonReport).summary, { denied: 0, warned: 0, audited: 0 });
});

test("sarif and junit carry the same findings as json", async () => {
  const { report } = await checkJson([HELM, TREE]);
  const as = async (format: Format) => (await check([HELM, TREE], { format })).stdout;
  const sarif = JSON.parse(await as("sarif")) as {
    version: string;
    runs: { tool: { driver: { name: string } }; results: { ruleId: string; level: string }[] }[];
  };
  assert.equal(sarif.version, "2.1.0");
  assert.equal(sarif.runs[0]!.tool.driver.name, "kuma-guard");
  assert.deepEqual(
    sarif.runs[0]!.results.map((r) => r.ruleId),
    report.findings.map((f) => f.ruleId),
  );
  assert.equal(sarif.runs[0]!.results.filter((r) => r.level === "error").length, report.summary.denied);
  const junit = await as("junit");
  assert.equal((junit.match(/<failure /g) ?? []).length, report.summary.denied);
  assert.equal((junit.match(/<testsuite /g) ?? []).length, 3);
});

const TEAM_POLICY = "test/fixtures/manifests/policies/team-rules.yaml";

test("--policy: explicit actions and a custom workload rule decide, as in the server", async () => {
  const { code, report, stderr } = await checkJson([HELM], { policy: TEAM_POLICY });
  assert.equal(code, 1, stderr);
  const byRule = (id: string) => report.findings.filter((f) => f.ruleId === id);
  assert.deepEqual(
    byRule("direct-access").map((f) => f.action),
    ["warn"],
  );
  assert.deepEqual(
    byRule("annotation-unknown").map((f) => f.action),
    ["audit"],
  );
  assert.deepEqual(
    byRule("pod-team-label").map((f) => `${f.action} ${f.kind} ${f.name}`),
    ["deny Deployment web", "deny Deployment api", "deny StatefulSet worker"],
  );
  const sarif = JSON.parse((await check([HELM], { policy: TEAM_POLICY, format: "sarif" })).stdout) as {
    runs: { tool: { driver: { rules: { id: string }[] } } }[];
  };
  assert.ok(
    sarif.runs[0]!.tool.driver.rules.some((r) => r.id === "pod-team-label"),
    "custom rules are listed in the SARIF driver",
  );
});

test("--policy with every rule on audit: exit 0, findings reported as audited and logged", async () => {
  const { code, report } = await checkJson([HELM], { policy: "policies/audit-first.yaml" });
  assert.equal(code, 0);
  assert.ok(report.summary.audited > 0);
  assert.equal(report.summary.denied + report.summary.warned, 0);
  const logged = checkProcess(["--policy", "policies/audit-first.yaml", "--log-level", "info", HELM]);
  assert.match(logged.stderr, /"msg":"audit direct-access: /);
  assert.doesNotMatch(logged.stdout, /"msg"/);
});

test("an invalid policy exits 2 with the file and field on stderr", () => {
  const { code, stdout, stderr } = checkProcess(["--policy", "test/fixtures/manifests/policies/bad-action.yaml", HELM]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^kuma-guard check: test\/fixtures\/manifests\/policies\/bad-action\.yaml: spec\.rules\.direct-access\.action: /m);
});

const WITH_PATCHES = "test/fixtures/manifests/patches/with-patches.yaml";
const WITHOUT_PATCHES = "test/fixtures/manifests/patches/without-patches.yaml";

test("input ContainerPatches: those in kuma-system join the catalog, one elsewhere is denied and does not join", async () => {
  const { code, report } = await checkJson([WITH_PATCHES]);
  assert.equal(code, 1);
  assert.deepEqual(
    report.findings.filter((f) => f.action === "deny").map((f) => `${f.ruleId} ${f.kind} ${f.namespace}/${f.name}`),
    ["patch-namespace ContainerPatch payments/sidecar-memory", "workload-missing-patch Deployment payments/ledger"],
  );
  const missing = report.findings.find((f) => f.ruleId === "workload-missing-patch")!;
  assert.match(missing.message, /\["sidecar-memory"\]/, "the patch in kuma-system was found");
});

test("no --patches and no ContainerPatch in the input: missing patches cannot be verified, only a warning", async () => {
  const { code, report } = await checkJson([WITHOUT_PATCHES]);
  assert.equal(code, 0);
  assert.deepEqual(
    report.findings.map((f) => `${f.ruleId} ${f.action} ${f.severity}`),
    ["workload-missing-patch warn advisory"],
  );
  assert.match(report.findings[0]!.message, /not verified/);
});

test("--patches makes the catalog configured: a name it lacks denies, a name it has passes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuma-guard-patches-"));
  writeFileSync(
    join(dir, "other.yaml"),
    "apiVersion: kuma.io/v1alpha1\nkind: ContainerPatch\nmetadata: {name: other, namespace: kuma-system}\nspec: {}\n",
  );
  const lacking = await checkJson([WITHOUT_PATCHES], { patches: dir });
  assert.equal(lacking.code, 1);
  assert.deepEqual(
    lacking.report.findings.map((f) => `${f.ruleId} ${f.action}`),
    ["workload-missing-patch deny"],
  );
  writeFileSync(
    join(dir, "seccomp.yaml"),
    'apiVersion: kuma.io/v1alpha1\nkind: ContainerPatch\nmetadata: {name: sidecar-seccomp, namespace: kuma-system}\nspec:\n  sidecarPatch: [{op: add, path: /securityContext/seccompProfile, value: \'{"type":"RuntimeDefault"}\'}]\n',
  );
  const having = await checkJson([WITHOUT_PATCHES], { patches: dir });
  assert.equal(having.code, 0, having.stdout);
  assert.equal(having.report.findings.filter((f) => f.ruleId === "workload-missing-patch").length, 0);
});
