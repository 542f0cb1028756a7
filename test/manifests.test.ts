import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { MAX_MANIFEST_FILE_BYTES, MAX_NESTING_DEPTH } from "../src/limits.js";
import { readManifests, toStoredPatch } from "../src/manifests.js";
import { REPO_ROOT } from "./support/context.js";

const fixture = (name: string) => readFileSync(new URL(`test/fixtures/catalog/${name}`, REPO_ROOT), "utf8");
const names = (text: string, file = "f.yaml") =>
  readManifests(text, file).documents.map((d) => (d.object["metadata"] as { name: string }).name);

test("multi-document YAML: every object with the line of its kind, empty documents skipped", () => {
  const { documents, errors } = readManifests(fixture("patches.yaml"), "patches.yaml");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    documents.map((d) => [d.file, d.line, d.index, (d.object["metadata"] as { name: string }).name]),
    [
      ["patches.yaml", 3, 0, "sidecar-cpu-limit"],
      ["patches.yaml", 17, 1, "init-memory"],
    ],
  );
});

test("a JSON document", () => {
  const { documents, errors } = readManifests(fixture("privileged.json"), "privileged.json");
  assert.deepEqual(errors, []);
  assert.equal(documents.length, 1);
  assert.equal(documents[0]?.line, 3);
  assert.equal(documents[0]?.object["kind"], "ContainerPatch");
});

test("kind: List items are expanded, each with its own line", () => {
  const { documents, errors } = readManifests(fixture("list.yaml"), "list.yaml");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    documents.map((d) => [d.line, d.index]),
    [
      [8, 0],
      [18, 1],
    ],
  );
});

test("a typed list (ContainerPatchList) is expanded too", () => {
  const text = JSON.stringify({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatchList",
    items: [{ kind: "ContainerPatch", metadata: { name: "a" } }, 3],
  });
  const { documents, errors } = readManifests(text, "l.json");
  assert.deepEqual(
    documents.map((d) => d.object["metadata"]),
    [{ name: "a" }],
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? "", /items\[1\].*not a Kubernetes object/);
});

test("concatenated JSON objects (a kubectl-style JSON stream)", () => {
  const text =
    '{"kind": "A", "metadata": {"name": "a", "note": "}{\\"}"}}\n\n{"kind": "List", "items": [\n{"kind": "B", "metadata": {"name": "b"}}]}';
  const { documents, errors } = readManifests(text, "s.json");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    documents.map((d) => [d.line, d.index, d.object["kind"]]),
    [
      [1, 0, "A"],
      [3, 1, "B"],
    ],
  );
});

test("a YAML syntax error is reported with its line and the other documents are kept", () => {
  const text = `${fixture("broken.yaml")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n`;
  const { documents, errors } = readManifests(text, "broken.yaml");
  assert.equal(errors.length >= 1, true);
  assert.equal(errors[0]?.file, "broken.yaml");
  assert.equal(errors[0]?.line, 10);
  assert.match(errors[0]?.message ?? "", /^YAML syntax error: /);
  assert.doesNotMatch(errors[0]?.message ?? "", /\n/);
  assert.deepEqual(
    documents.map((d) => d.object["kind"]),
    ["ConfigMap"],
  );
});

const rows: { name: string; text: string; docs: string[]; errorLines: (number | undefined)[] }[] = [
  { name: "empty text", text: "", docs: [], errorLines: [] },
  { name: "only comments and separators", text: "# x\n---\n---\n# y\n", docs: [], errorLines: [] },
  { name: "a scalar document", text: "kind: ContainerPatch\nmetadata: {name: a}\n---\njust text\n", docs: ["a"], errorLines: [4] },
  { name: "a sequence document", text: "- a\n- b\n", docs: [], errorLines: [1] },
  { name: "null document", text: "~\n", docs: [], errorLines: [] },
  { name: "unclosed JSON", text: '{"kind": "ContainerPatch",\n "metadata": {"name": "a"}\n', docs: [], errorLines: [3] },
  {
    name: "JSON stream with a broken second object",
    text: '{"kind": "A", "metadata": {"name": "a"}}\n{"kind": "B",',
    docs: [],
    errorLines: [2],
  },
  { name: "tab indentation", text: "kind: A\nmetadata:\n\tname: a\n", docs: [], errorLines: [3] },
  // kubectl (go-yaml v2 through sigs.k8s.io/yaml) keeps the last value of a repeated key.
  {
    name: "duplicate keys: the last wins, as in kubectl",
    text: "kind: A\nmetadata: {name: a}\nmetadata: {name: b}\n",
    docs: ["b"],
    errorLines: [],
  },
];
for (const row of rows) {
  test(`readManifests: ${row.name}`, () => {
    const result = readManifests(row.text, "x.yaml");
    assert.deepEqual(
      result.documents.map((d) => (d.object["metadata"] as { name: string }).name),
      row.docs,
    );
    assert.deepEqual(
      result.errors.map((e) => e.line),
      row.errorLines,
    );
  });
}

test("alias bombs are errors, not hangs", () => {
  const text = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
  const { documents, errors } = readManifests(text, "bomb.yaml");
  assert.deepEqual(documents, []);
  assert.equal(errors.length, 1);
});

test("readManifests never throws, whatever the text", () => {
  const yamlish = fc.stringMatching(/^[a-z:{}\[\]\-,"'#&*!|>%@` \n\t]*$/);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), yamlish), (text) => {
      const result = readManifests(text, "random.yaml");
      for (const d of result.documents) assert.equal(typeof d.object, "object");
      for (const e of result.errors) assert.equal(typeof e.message, "string");
    }),
    { numRuns: 2000 },
  );
});

test("toStoredPatch keeps only name, namespace and the two patch lists", () => {
  const [doc] = readManifests(fixture("patches.yaml"), "patches.yaml").documents;
  assert.ok(doc);
  assert.deepEqual(toStoredPatch(doc.object, "default"), {
    name: "sidecar-cpu-limit",
    namespace: "kuma-system",
    spec: {
      sidecarPatch: [
        { op: "add", path: "/resources/limits/cpu", value: '"100m"' },
        { op: "add", path: "/securityContext/seccompProfile", value: '{"type":"RuntimeDefault"}' },
      ],
    },
  });
});

const patchRows: { name: string; object: Record<string, unknown>; expected: ReturnType<typeof toStoredPatch> }[] = [
  {
    name: "no namespace",
    object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p" } },
    expected: { name: "p", namespace: "dflt", spec: {} },
  },
  {
    name: "no spec",
    object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p", namespace: "kuma-system" } },
    expected: { name: "p", namespace: "kuma-system", spec: {} },
  },
  {
    name: "extra spec fields",
    object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p" }, spec: { initPatch: [], mesh: "x" } },
    expected: { name: "p", namespace: "dflt", spec: { initPatch: [] } },
  },
  { name: "another group", object: { apiVersion: "example.com/v1", kind: "ContainerPatch", metadata: { name: "p" } }, expected: undefined },
  {
    name: "another kind",
    object: { apiVersion: "kuma.io/v1alpha1", kind: "MeshTrafficPermission", metadata: { name: "p" } },
    expected: undefined,
  },
  { name: "no name", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: {} }, expected: undefined },
  {
    name: "metadata not an object",
    object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: "p" },
    expected: undefined,
  },
];
for (const row of patchRows) test(`toStoredPatch: ${row.name}`, () => assert.deepEqual(toStoredPatch(row.object, "dflt"), row.expected));

test("names across fixtures", () => {
  assert.deepEqual(names(fixture("list.yaml")), ["sidecar-log-level", "no-namespace"]);
  assert.deepEqual(names(fixture("other-namespace.yaml")), ["shop-patch", "not-a-patch"]);
});

// Real manifests from Kuma's repository and website (test/fixtures/real/README.md), each beside
// what `kubectl kustomize` printed for it: kuma-guard must read the same objects kubectl does.
const REAL = new URL("test/fixtures/real/", REPO_ROOT);
const realFiles = ["kuma-website", "kuma"].flatMap((dir) =>
  readdirSync(new URL(dir, REAL))
    .filter((name) => name.endsWith(".yaml") && !name.endsWith(".kubectl-kustomize.out.yaml"))
    .map((name) => `${dir}/${name}`),
);
test("real fixtures: there are files to compare", () => assert.ok(realFiles.length >= 5, realFiles.join()));
for (const file of realFiles) {
  test(`real manifest read as kubectl kustomize reads it: ${file}`, () => {
    const read = (name: string) => readManifests(readFileSync(new URL(name, REAL), "utf8"), name);
    const ours = read(file);
    const kubectl = read(file.replace(/\.yaml$/, ".kubectl-kustomize.out.yaml"));
    assert.deepEqual(ours.errors, []);
    assert.deepEqual(kubectl.errors, []);
    assert.deepEqual(
      ours.documents.map((d) => d.object),
      kubectl.documents.map((d) => d.object),
    );
  });
}

// go-yaml v2's reading of plain scalars (what `kubectl apply` sends), through both parsers:
// the second document of each text has a multi-line quoted value closed at the key's
// indentation, which only the fallback parser takes.
const scalarRows: { text: string; value: unknown; why: string }[] = [
  { text: "yes", value: true, why: "YAML 1.1 boolean" },
  { text: "on", value: true, why: "YAML 1.1 boolean" },
  { text: "N", value: false, why: "YAML 1.1 boolean (kubectl: 'cannot unmarshal bool into … of type string')" },
  { text: "'yes'", value: "yes", why: "quoted: a string" },
  { text: "0777", value: 511, why: "YAML 1.1 octal" },
  { text: "1_000", value: 1000, why: "YAML 1.1 digit separators" },
  { text: "0x1F", value: 31, why: "hexadecimal" },
  { text: "1.5", value: 1.5, why: "float" },
  { text: "~", value: null, why: "null" },
  { text: "1:20", value: "1:20", why: "go-yaml v2 has no sexagesimal numbers" },
  { text: "2001-12-14", value: "2001-12-14", why: "go-yaml v2 keeps timestamps as strings in untyped data" },
  { text: "8080:80", value: "8080:80", why: "a port mapping stays a string" },
];
for (const row of scalarRows) {
  test(`plain scalar ${row.text}: ${row.why}, the same through the fallback parser`, () => {
    const strict = `kind: A\nx: ${row.text}\n`;
    const lenient = `kind: A\nv: '{\n  "a": 1\n}'\nx: ${row.text}\n`;
    for (const text of [strict, lenient]) {
      const { documents, errors } = readManifests(text, "s.yaml");
      assert.deepEqual(errors, [], text);
      assert.deepEqual(documents[0]?.object["x"], row.value, text);
    }
  });
}

test("merge keys and anchors expand in both parsers; a later duplicate key wins in both", () => {
  for (const extra of ["", "v: '{\n  \"a\": 1\n}'\n"]) {
    const text = `kind: A\nbase: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\nd: 1\nd: 2\n${extra}`;
    const { documents, errors } = readManifests(text, "m.yaml");
    assert.deepEqual(errors, []);
    assert.deepEqual(documents[0]?.object["m"], { a: 1, b: 3 });
    assert.equal(documents[0]?.object["d"], 2);
  }
});

test("an alias bomb in a document only the fallback parser reads is refused too", () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 8; i++)
    levels.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(", ")}]`,
    );
  const text = `kind: A\nv: '{\n  "a": 1\n}'\n${levels.join("\n")}\n`;
  const { documents, errors } = readManifests(text, "bomb.yaml");
  assert.deepEqual(documents, []);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, "yaml-syntax");
});

test("a document nested deeper than MAX_NESTING_DEPTH is an input error naming the line, found before the YAML parser runs", () => {
  const text = `kind: A\nx: ${"[".repeat(MAX_NESTING_DEPTH + 1)}${"]".repeat(MAX_NESTING_DEPTH + 1)}\n`;
  const { documents, errors } = readManifests(text, "deep.yaml");
  assert.deepEqual(documents, []);
  assert.deepEqual(
    errors.map((e) => [e.file, e.line, e.code]),
    [["deep.yaml", 2, "too-deep"]],
  );
  assert.match(errors[0]!.message, /nests deeper than 64 levels/);
});

test("a text over MAX_MANIFEST_FILE_BYTES is refused before parsing", () => {
  const { documents, errors } = readManifests(`kind: A\nx: "${"a".repeat(MAX_MANIFEST_FILE_BYTES)}"\n`, "big.yaml");
  assert.deepEqual(documents, []);
  assert.deepEqual(
    errors.map((e) => [e.file, e.code]),
    [["big.yaml", "too-large"]],
  );
});

test("Helm output: with helmSources, documents are named by their # Source: comment, lines counted from it", () => {
  const text =
    "---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# Source: shop/templates/b.yaml\nkind: Pod\nmetadata: {name: b}\n";
  const named = readManifests(text, "<stdin>", { helmSources: true });
  assert.deepEqual(
    named.documents.map((d) => [d.file, d.line]),
    [
      ["shop/templates/a.yaml", 2],
      ["shop/templates/b.yaml", 1],
    ],
  );
  const plain = readManifests(text, "rendered.yaml");
  assert.deepEqual(
    plain.documents.map((d) => [d.file, d.line]),
    [
      ["rendered.yaml", 4],
      ["rendered.yaml", 8],
    ],
  );
});
