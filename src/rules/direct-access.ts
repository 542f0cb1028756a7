import { annotationPath, DIRECT_ACCESS_SERVICES, messageWithFix, quote } from "../kuma/annotations.js";
import { hasEmptyItems, parseList, toTrimmedList } from "../kuma/parsers/list.js";
import { advisory, error, pushItemFinding } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma reads kuma.io/direct-access-services with GetList (no trim, empty items dropped) and
// matches each entry exactly against other dataplanes' kuma.io/service tags; "*" = all.
// Kuma: pkg/plugins/runtime/k8s/controllers/pod_converter.go::dataplaneFor,
// pkg/xds/generator/direct_access_proxy_generator.go; tag charset from
// pkg/core/resources/apis/mesh/validators.go.
const TAG_VALUE = /^[a-zA-Z0-9.\-_:]+$/;
/** A list of nothing but tag values and commas. */
const TAG_LIST = /^[a-zA-Z0-9.\-_:,]*$/;

const CODES = {
  "padded-entry": {
    when: "an entry has spaces around it: Kuma does not trim, so it matches no service",
    params: { entry: "the first padded entry", fix: "the value trimmed" },
  },
  "invalid-name": {
    when: "an entry holds characters a kuma.io/service name never has, so it can never match",
    params: { entry: "the entry" },
  },
  "empty-items": {
    when: "the list has empty items, which Kuma drops",
    params: { value: "the annotation's value", fix: "the value without empty items" },
  },
  wildcard: { when: "`*` gives the proxy direct access to every service in the mesh, which is resource intensive" },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const directAccess: Rule<WorkloadSubject, Code> = {
  id: "direct-access",
  summary: "kuma.io/direct-access-services entries are exact kuma.io/service names",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const value = subject.template.annotations[DIRECT_ACCESS_SERVICES];
    // An empty value is an empty list: nothing to check.
    if (value === undefined || value === "") return [];
    const path = annotationPath(subject.templatePath, DIRECT_ACCESS_SERVICES);
    const key = DIRECT_ACCESS_SERVICES;
    const emptyItems = (fixed: string, otherwise: string) =>
      advisory("empty-items", messageWithFix(`${key} ${quote(value)} has empty items, which Kuma drops; `, fixed, otherwise), path, {
        value,
        fix: fixed,
      });
    // The usual value holds only tag characters and commas: one scan of it answers for every
    // entry (none padded, none invalid, no wildcard), without splitting 256 KiB into items.
    if (TAG_LIST.test(value))
      return hasEmptyItems(value) ? [emptyItems(toTrimmedList(value), "write the entries without empty items")] : [];
    const list = parseList(value);
    if ("error" in list) return [];
    const findings: RuleFinding<Code>[] = [];
    const { items, firstPadded, dropped } = list.value;
    // Computed only for a finding that offers it: the value may be 256 KiB.
    const fixed = firstPadded !== undefined || dropped > 0 ? toTrimmedList(value) : "";
    const otherwise = "write the entries trimmed, without empty items";
    if (firstPadded) {
      findings.push(
        error(
          "padded-entry",
          messageWithFix(
            `${key} entry ${quote(firstPadded.text)} is padded: Kuma does not trim it, so it matches no service; `,
            fixed,
            otherwise,
          ),
          path,
          { entry: firstPadded.text, fix: fixed },
        ),
      );
    }
    let wildcard = false;
    for (const item of items) {
      const name = item.trim();
      if (name === "*") wildcard = true;
      if (name === "" || name === "*" || TAG_VALUE.test(name)) continue;
      pushItemFinding(findings, () => invalidName(path, name));
    }
    if (dropped > 0) findings.push(emptyItems(fixed, otherwise));
    if (wildcard) {
      findings.push(
        advisory(
          "wildcard",
          `${key} "*" gives this proxy direct access to every service in the mesh, which is resource intensive; list only the services it needs as <service>_<namespace>_svc_<port>`,
          path,
        ),
      );
    }
    return findings;
  },
};

function invalidName(path: string, name: string): RuleFinding<Code> {
  return error(
    "invalid-name",
    `${DIRECT_ACCESS_SERVICES} entry ${quote(name)} can never match: kuma.io/service names use only [a-zA-Z0-9.-_:] (e.g. backend_shop_svc_8080)`,
    path,
    { entry: name },
  );
}
