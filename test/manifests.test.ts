import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
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
  assert.deepEqual(documents.map((d) => [d.line, d.index]), [[8, 0], [18, 1]]);
});

test("a typed list (ContainerPatchList) is expanded too", () => {
  const text = JSON.stringify({ apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatchList", items: [{ kind: "ContainerPatch", metadata: { name: "a" } }, 3] });
  const { documents, errors } = readManifests(text, "l.json");
  assert.deepEqual(documents.map((d) => d.object["metadata"]), [{ name: "a" }]);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? "", /items\[1\].*not a Kubernetes object/);
});

test("concatenated JSON objects (a kubectl-style JSON stream)", () => {
  const text = '{"kind": "A", "metadata": {"name": "a", "note": "}{\\"}"}}\n\n{"kind": "List", "items": [\n{"kind": "B", "metadata": {"name": "b"}}]}';
  const { documents, errors } = readManifests(text, "s.json");
  assert.deepEqual(errors, []);
  assert.deepEqual(documents.map((d) => [d.line, d.index, d.object["kind"]]), [[1, 0, "A"], [3, 1, "B"]]);
});

test("a YAML syntax error is reported with its line and the other documents are kept", () => {
  const text = `${fixture("broken.yaml")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n`;
  const { documents, errors } = readManifests(text, "broken.yaml");
  assert.equal(errors.length >= 1, true);
  assert.equal(errors[0]?.file, "broken.yaml");
  assert.equal(errors[0]?.line, 10);
  assert.match(errors[0]?.message ?? "", /^YAML syntax error: /);
  assert.doesNotMatch(errors[0]?.message ?? "", /\n/);
  assert.deepEqual(documents.map((d) => d.object["kind"]), ["ConfigMap"]);
});

const rows: { name: string; text: string; docs: string[]; errorLines: (number | undefined)[] }[] = [
  { name: "empty text", text: "", docs: [], errorLines: [] },
  { name: "only comments and separators", text: "# x\n---\n---\n# y\n", docs: [], errorLines: [] },
  { name: "a scalar document", text: "kind: ContainerPatch\nmetadata: {name: a}\n---\njust text\n", docs: ["a"], errorLines: [4] },
  { name: "a sequence document", text: "- a\n- b\n", docs: [], errorLines: [1] },
  { name: "null document", text: "~\n", docs: [], errorLines: [] },
  { name: "unclosed JSON", text: '{"kind": "ContainerPatch",\n "metadata": {"name": "a"}\n', docs: [], errorLines: [3] },
  { name: "JSON stream with a broken second object", text: '{"kind": "A", "metadata": {"name": "a"}}\n{"kind": "B",', docs: [], errorLines: [2] },
  { name: "tab indentation", text: "kind: A\nmetadata:\n\tname: a\n", docs: [], errorLines: [3] },
  { name: "duplicate keys", text: "kind: A\nkind: B\n", docs: [], errorLines: [2] },
];
for (const row of rows) {
  test(`readManifests: ${row.name}`, () => {
    const result = readManifests(row.text, "x.yaml");
    assert.deepEqual(result.documents.map((d) => (d.object["metadata"] as { name: string }).name), row.docs);
    assert.deepEqual(result.errors.map((e) => e.line), row.errorLines);
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
  { name: "no namespace", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p" } }, expected: { name: "p", namespace: "dflt", spec: {} } },
  { name: "no spec", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p", namespace: "kuma-system" } }, expected: { name: "p", namespace: "kuma-system", spec: {} } },
  { name: "extra spec fields", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "p" }, spec: { initPatch: [], mesh: "x" } }, expected: { name: "p", namespace: "dflt", spec: { initPatch: [] } } },
  { name: "another group", object: { apiVersion: "example.com/v1", kind: "ContainerPatch", metadata: { name: "p" } }, expected: undefined },
  { name: "another kind", object: { apiVersion: "kuma.io/v1alpha1", kind: "MeshTrafficPermission", metadata: { name: "p" } }, expected: undefined },
  { name: "no name", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: {} }, expected: undefined },
  { name: "metadata not an object", object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: "p" }, expected: undefined },
];
for (const row of patchRows) test(`toStoredPatch: ${row.name}`, () => assert.deepEqual(toStoredPatch(row.object, "dflt"), row.expected));

test("names across fixtures", () => {
  assert.deepEqual(names(fixture("list.yaml")), ["sidecar-log-level", "no-namespace"]);
  assert.deepEqual(names(fixture("other-namespace.yaml")), ["shop-patch", "not-a-patch"]);
});
