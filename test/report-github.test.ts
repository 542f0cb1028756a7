import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeData, escapeProperty, formatGithub } from "../src/report/github.js";
import { inputErrorObject } from "../src/report/model.js";
import { sampleReport } from "./support/report-sample.js";

// --format github: one workflow command per finding, escaped as the runner (actions/toolkit) expects.

test("escaping: %, CR and LF in messages; also : and , in properties", () => {
  const rows: [string, string, string][] = [
    ["plain", "plain", "plain"],
    ["100%", "100%25", "100%25"],
    ["a\r\nb", "a%0D%0Ab", "a%0D%0Ab"],
    ["k8s.yaml:3, col", "k8s.yaml:3, col", "k8s.yaml%3A3%2C col"],
    ["%0A", "%250A", "%250A"],
  ];
  for (const [input, data, property] of rows) {
    assert.equal(escapeData(input), data, input);
    assert.equal(escapeProperty(input), property, input);
  }
});

test("deny is ::error, warn ::warning, audit ::notice, at file and line; stdin findings carry no file", () => {
  const lines = formatGithub(sampleReport()).trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, 5), [
    '::error file=deploy/app.yaml,line=12,title=kuma-guard direct-access::Deployment shop/web: entry " b" is padded',
    "::warning file=deploy/app.yaml,line=12,title=kuma-guard annotation-unknown::Deployment shop/web: Kuma does not read kuma.io/sidcar-env-vars",
    "::notice file=deploy/app.yaml,line=12,title=kuma-guard exclude-ports::Deployment shop/web: spaces fail with Kuma CNI",
    '::error file=deploy/app.yaml,line=1,title=kuma-guard sidecar-injection::Namespace shop: <bad> & "quoted"',
    "::warning title=kuma-guard internal-error::Pod shop/p: fake-rule failed: boom",
  ]);
  assert.equal(lines[5], "4 objects checked in 3 files (2 documents of other kinds skipped): 2 denied, 2 warnings, 1 audited");
});

test("the finding's code is the title when present; an unreadable input carries its column", () => {
  const report = sampleReport();
  report.objects[0]!.findings[0]!.code = "direct-access/padded-entry";
  report.objects.push(
    inputErrorObject({ file: "a,b.yaml", line: 4, column: 9, code: "yaml-syntax", message: "YAML syntax error: 50% off\nbad" }),
  );
  const lines = formatGithub(report).split("\n");
  assert.match(lines[0]!, /^::error file=deploy\/app\.yaml,line=12,title=kuma-guard direct-access\/padded-entry::/);
  assert.ok(
    lines.includes("::error file=a%2Cb.yaml,line=4,col=9,title=kuma-guard input-error/yaml-syntax::YAML syntax error: 50%25 off%0Abad"),
  );
});
