// `npm run docs`: writes what is derived from the rule list (src/rules/index.ts), so a new rule
// is one file, one test table and one docs page: the rule tables of README.md and
// docs/rules.md, the "Codes" section of each docs/rules/<id>.md, and the policy schema's
// rule-id enum. test/rules-sync.test.ts fails when a committed copy differs.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { SUPPORTED_KUMA_VERSIONS } from "./kuma/versions/index.js";
import { BUILT_IN_RULES } from "./rules/index.js";
import type { AnyRule, Target } from "./rules/types.js";

/** A file as `npm run docs` writes it, relative to the repository root. */
export interface GeneratedFile {
  path: string;
  content: string;
}

const APPLIES_TO: Readonly<Record<Target, string>> = {
  containerpatch: "ContainerPatch",
  workload: "Pods, pod templates",
  namespace: "Namespaces",
};

const SCHEMA = "schemas/policy.schema.json";

/** Every generated file, from the current text of each (`read(path)`): only the generated parts change. */
export function generatedDocs(read: (path: string) => string, rules: readonly AnyRule[] = BUILT_IN_RULES): GeneratedFile[] {
  const files: GeneratedFile[] = [
    {
      path: "README.md",
      content: replaceBetweenMarkers(
        read("README.md"),
        "rules",
        ruleTable(rules, "docs/rules/", "| rule | applies to | default | makes sure that |"),
        "README.md",
      ),
    },
    {
      path: "docs/rules.md",
      content: replaceBetweenMarkers(
        read("docs/rules.md"),
        "rules",
        ruleTable(rules, "rules/", "| id | applies to | default | what it makes sure of |"),
        "docs/rules.md",
      ),
    },
  ];
  for (const rule of rules) {
    const path = `docs/rules/${rule.id}.md`;
    files.push({ path, content: withCodesSection(read(path), rule, path) });
  }
  const schema = JSON.parse(read(SCHEMA)) as { $defs: { ruleId: { enum: string[] } } };
  schema.$defs.ruleId.enum = rules.map((rule) => rule.id);
  files.push({ path: SCHEMA, content: JSON.stringify(schema, null, 2) + "\n" });
  return files;
}

function ruleTable(rules: readonly AnyRule[], linkPrefix: string, header: string): string {
  const rows = rules.map((rule) => {
    const appliesTo = rule.targets.map((target) => APPLIES_TO[target]).join(", ");
    return `| [\`${rule.id}\`](${linkPrefix}${rule.id}.md) | ${appliesTo} | ${rule.defaultAction} | ${cell(rule.summary)} |`;
  });
  return [header, "|---|---|---|---|", ...rows].join("\n");
}

function codesTable(rule: AnyRule): string {
  const rows = Object.entries(rule.codes).map(([key, doc]) => {
    const params = Object.entries(doc.params ?? {}).map(([name, meaning]) => `\`${name}\`: ${meaning}`);
    return `| \`${rule.id}/${key}\` | ${cell(doc.when)} | ${params.length > 0 ? cell(params.join("; ")) : "—"} |`;
  });
  const minors = `Applies to every supported Kuma minor (${SUPPORTED_KUMA_VERSIONS.join(", ")}), judged against the one in use; what differs between them: [Kuma versions](../kuma-versions.md).`;
  return [minors, "", "| code | when | params |", "|---|---|---|", ...rows].join("\n");
}

/** The page with its Codes section regenerated, or appended when the page has none yet. */
function withCodesSection(page: string, rule: AnyRule, path: string): string {
  const intro = "Each finding carries one of these codes (JSON and SARIF output, the audit log) and its params; a code is never reused.";
  if (!page.includes(beginMarker("codes"))) {
    return `${page.trimEnd()}\n\n## Codes\n${intro}\n\n${beginMarker("codes")}\n${codesTable(rule)}\n${endMarker("codes")}\n`;
  }
  return replaceBetweenMarkers(page, "codes", codesTable(rule), path);
}

const beginMarker = (name: string) => `<!-- generated:${name} (npm run docs) -->`;
const endMarker = (name: string) => `<!-- end generated:${name} -->`;

function replaceBetweenMarkers(text: string, name: string, body: string, path: string): string {
  const begin = text.indexOf(beginMarker(name));
  const end = text.indexOf(endMarker(name));
  if (begin < 0 || end < begin)
    throw new Error(`${path}: needs the lines ${beginMarker(name)} and ${endMarker(name)} around the generated part`);
  return `${text.slice(0, begin + beginMarker(name).length)}\n${body}\n${text.slice(end)}`;
}

/** Text safe inside a Markdown table cell. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function writeDocs(): void {
  for (const file of generatedDocs((path) => readFileSync(path, "utf8"))) {
    if (readFileSync(file.path, "utf8") === file.content) continue;
    writeFileSync(file.path, file.content);
    console.log(`wrote ${file.path}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) writeDocs();
