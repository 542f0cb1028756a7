import { test } from "node:test";
import assert from "node:assert/strict";
import { formatJunit } from "../src/report/junit.js";
import { flatFindings } from "../src/report/model.js";
import { sampleReport } from "./support/report-sample.js";

// JUnit XML: testsuites/testsuite (per file)/testcase (per object)/failure (per denied finding),
// read back with a strict little XML reader so escaping mistakes fail the test.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Parses the subset of XML the printer writes (declaration, elements, attributes, text, entities); throws on anything malformed. */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const decode = (raw: string): string => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(raw)) throw new Error(`bare & in ${JSON.stringify(raw)}`);
    if (/</.test(raw)) throw new Error(`bare < in ${JSON.stringify(raw)}`);
    return raw.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_m, e: string) =>
      e.startsWith("#")
        ? String.fromCodePoint(Number(e.slice(1)))
        : ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e]!,
    );
  };
  const skipSpace = () => {
    while (/\s/.test(xml[pos] ?? "")) pos++;
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z][\w.-]*)/.exec(xml.slice(pos));
    if (!open) throw new Error(`expected an element at ${pos}: ${xml.slice(pos, pos + 30)}`);
    pos += open[0].length;
    const node: XmlElement = { name: open[1]!, attributes: {}, children: [], text: "" };
    for (;;) {
      skipSpace();
      if (xml.startsWith("/>", pos)) {
        pos += 2;
        return node;
      }
      if (xml[pos] === ">") {
        pos++;
        break;
      }
      const attr = /^([A-Za-z][\w.-]*)="([^"]*)"/.exec(xml.slice(pos));
      if (!attr) throw new Error(`bad attribute at ${pos}: ${xml.slice(pos, pos + 30)}`);
      if (attr[1]! in node.attributes) throw new Error(`duplicate attribute ${attr[1]}`);
      node.attributes[attr[1]!] = decode(attr[2]!);
      pos += attr[0].length;
    }
    for (;;) {
      const close = `</${node.name}>`;
      if (xml.startsWith(close, pos)) {
        pos += close.length;
        return node;
      }
      if (xml[pos] === "<") node.children.push(element());
      else {
        const end = xml.indexOf("<", pos);
        if (end < 0) throw new Error(`unclosed <${node.name}>`);
        node.text += decode(xml.slice(pos, end));
        pos = end;
      }
    }
  };
  const declaration = /^<\?xml[^?]*\?>/.exec(xml);
  if (!declaration) throw new Error("no XML declaration");
  pos = declaration[0].length;
  skipSpace();
  const root = element();
  skipSpace();
  if (pos !== xml.length) throw new Error(`trailing content: ${xml.slice(pos, pos + 30)}`);
  return root;
}

const childrenNamed = (node: XmlElement, name: string) => node.children.filter((c) => c.name === name);

test("testsuites/testsuite/testcase/failure mirror files, objects and denied findings", () => {
  const report = sampleReport();
  const root = parseXml(formatJunit(report));
  assert.equal(root.name, "testsuites");
  const suites = childrenNamed(root, "testsuite");
  assert.deepEqual(
    suites.map((s) => s.attributes["name"]),
    report.files,
    "one suite per input file, in order",
  );
  const cases = suites.flatMap((s) => childrenNamed(s, "testcase"));
  assert.equal(cases.length, report.objects.length, "one testcase per checked object");
  assert.equal(root.attributes["tests"], String(report.objects.length));

  const failures = cases.flatMap((c) => childrenNamed(c, "failure"));
  const denied = flatFindings(report).filter(({ finding }) => finding.action === "deny");
  assert.equal(failures.length, denied.length, "one <failure> per denied finding");
  assert.deepEqual(
    failures.map((f) => f.attributes["type"]),
    denied.map(({ finding }) => finding.ruleId),
  );

  const failedCases = cases.filter((c) => childrenNamed(c, "failure").length > 0).length;
  assert.equal(root.attributes["failures"], String(failedCases), "failures counts failed testcases");
  for (const suite of suites) {
    const suiteCases = childrenNamed(suite, "testcase");
    assert.equal(suite.attributes["tests"], String(suiteCases.length));
    assert.equal(suite.attributes["failures"], String(suiteCases.filter((c) => childrenNamed(c, "failure").length > 0).length));
  }
});

test("special characters survive escaping in attributes and text", () => {
  const root = parseXml(formatJunit(sampleReport()));
  const failure = root.children
    .flatMap((s) => s.children)
    .flatMap((c) => c.children)
    .find((f) => f.attributes["type"] === "sidecar-injection");
  assert.ok(failure);
  assert.equal(failure.attributes["message"], 'sidecar-injection: <bad> & "quoted"');
  assert.match(failure.text, /<bad> & "quoted"/);
});

test("warnings and audits go to system-out, not failures; a clean object is an empty testcase", () => {
  const root = parseXml(formatJunit(sampleReport()));
  const cases = root.children.flatMap((s) => s.children);
  const web = cases.find((c) => c.attributes["name"] === "Deployment shop/web (line 12)");
  assert.ok(web);
  const out = childrenNamed(web, "system-out");
  assert.equal(out.length, 1);
  assert.match(out[0]!.text, /^warn annotation-unknown: .*\naudit exclude-ports: /);
  const clean = cases.find((c) => c.attributes["name"] === "Deployment shop/clean (line 2)");
  assert.deepEqual(clean?.children, []);
});

test("characters XML cannot carry are dropped, line breaks in attributes kept", () => {
  const report = sampleReport();
  report.objects[1]!.findings[0]!.message = "a\u0001b\nc";
  const root = parseXml(formatJunit(report));
  const failure = root.children
    .flatMap((s) => s.children)
    .flatMap((c) => c.children)
    .find((f) => f.attributes["type"] === "sidecar-injection");
  assert.equal(failure?.attributes["message"], "sidecar-injection: ab\nc");
});
