// `npm run docs`: writes what is derived from the rule list (src/rules/index.ts), so a new rule
// is one file, one test table and one docs page: the rule tables of README.md and
// docs/rules.md, the "Codes" section of each docs/rules/<id>.md, and the policy schema's
// rule-id enum. Also the field table of a Kubernetes Container (src/kuma/container-fields.ts),
// from kubernetes-models' type declarations. test/rules-sync.test.ts fails when a committed
// copy differs.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
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
  files.push({ path: CONTAINER_FIELDS, content: containerFieldsSource() });
  return files;
}

const CONTAINER_FIELDS = "src/kuma/container-fields.ts";

/**
 * src/kuma/container-fields.ts: every object type a Kubernetes Container holds, with its
 * fields, read with the TypeScript compiler from the declarations of kubernetes-models (the
 * package whose validator judges the same containers), so both know the same fields.
 */
export function containerFieldsSource(): string {
  // A development dependency, loaded only here: the CLI never needs it.
  const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
  const root = dirname(createRequire(import.meta.url).resolve("kubernetes-models/package.json"));
  const declarations = join(root, "v1", "Container.d.ts");
  // Only what the declarations use: ES5's lib (Array, Date) and no @types/* packages, which the
  // default options would also load (2 s instead of 0.3 s; the table is the same).
  const program = ts.createProgram([declarations], { noEmit: true, skipLibCheck: true, strict: true, types: [], lib: ["lib.es5.d.ts"] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(declarations)!;
  const container = source.statements.find(
    (statement): statement is import("typescript").InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === "IContainer",
  );
  if (!container) throw new Error(`${declarations}: no interface IContainer`);

  const types = new Map<string, Record<string, string>>();
  const nameOf = (type: import("typescript").Type): string =>
    (type.aliasSymbol ?? type.getSymbol())!.name.replace(/^I(IoK8sApiCoreV1|IoK8sApimachineryPkgApisMetaV1|IoK8sApimachineryPkgApi)?/, "");
  const shapeOf = (declared: import("typescript").Type): string => {
    const type = checker.getNonNullableType(declared);
    if (checker.isArrayType(type)) return `[${shapeOf(checker.getTypeArguments(type as import("typescript").TypeReference)[0]!)}]`;
    if (type.flags & ts.TypeFlags.Any || type.flags & ts.TypeFlags.Unknown) return "any";
    if (type.isUnion() || !(type.flags & ts.TypeFlags.Object)) return "scalar"; // strings, numbers, enums, IntOrString, Quantity
    const properties = checker.getPropertiesOfType(type);
    const [index] = checker.getIndexInfosOfType(type);
    if (properties.length === 0) return index ? `{${shapeOf(index.type)}}` : "any";
    const name = nameOf(type);
    if (!types.has(name)) {
      const fields: Record<string, string> = {};
      types.set(name, fields);
      for (const property of properties) fields[property.name] = shapeOf(checker.getTypeOfSymbol(property));
    }
    return name;
  };
  const containerType = shapeOf(checker.getTypeAtLocation(container.name));
  const table = [...types].map(([name, fields]) => `  ${name}: ${JSON.stringify(fields)},`).join("\n");
  return [
    "// Generated by `npm run docs` (src/docs-gen.ts) from kubernetes-models' declarations: do not edit.",
    "// Every object type of a Kubernetes Container, with its fields: `scalar` (a string, number,",
    "// boolean or enum), `[T]` a list of T, `{T}` a map of T, `any` anything, else a type name.",
    "",
    `export const CONTAINER_TYPE = ${JSON.stringify(containerType)};`,
    "",
    "export const CONTAINER_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {",
    table,
    "};",
    "",
  ].join("\n");
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
