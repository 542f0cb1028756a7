// Parsers for Kuma's list grammars: GetList, exclude ports, exclude IPs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseList, toTrimmedList } from "../src/kuma/parsers/list.js";
import { parseExcludePorts } from "../src/kuma/parsers/ports.js";
import { parseExcludeIps } from "../src/kuma/parsers/ips.js";

// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetList
const listCases = [
  { name: "plain list", value: "a,b", items: ["a", "b"], dropped: 0 },
  { name: "padding kept as written", value: "p1, p2", items: ["p1", " p2"], dropped: 0 },
  { name: "empty items dropped", value: "a,,b,", items: ["a", "b"], dropped: 2 },
  { name: "empty value is an empty list", value: "", items: [], dropped: 1 },
];
for (const c of listCases) {
  test(`GetList: ${c.name}`, () => {
    const r = parseList(c.value);
    assert.ok("value" in r);
    assert.deepEqual(r.value.items, c.items);
    assert.equal(r.value.dropped, c.dropped);
  });
}
test("toTrimmedList gives the value Kuma reads as meant", () => assert.equal(toTrimmedList(" a , ,b,"), "a,b"));

// Kuma: pkg/transparentproxy/config/config.go::Ports.append, utils.go::parsePort
const portCases = [
  { name: "two ports", value: "1234,1235", ports: [1234, 1235] },
  { name: "items trimmed", value: "80, 443", ports: [80, 443] },
  { name: "empty items skipped", value: "80,,443,", ports: [80, 443] },
  { name: "empty value excludes nothing", value: "", ports: [] },
  { name: "zero", value: "0", error: "value '0' is not a valid port (uint16 in the range [1, 65535])" },
  { name: "above 65535", value: "70000", error: "value '70000' is not a valid port (uint16 in the range [1, 65535])" },
  { name: "range", value: "80-90", error: "value '80-90' is not a valid port (uint16 in the range [1, 65535])" },
  { name: "name", value: "http", error: "value 'http' is not a valid port (uint16 in the range [1, 65535])" },
  { name: "sign", value: "+80", error: "value '+80' is not a valid port (uint16 in the range [1, 65535])" },
];
for (const c of portCases) {
  test(`exclude ports: ${c.name}`, () => {
    const r = parseExcludePorts(c.value);
    if (c.error) assert.deepEqual(r, { error: c.error });
    else assert.deepEqual("value" in r && r.value.ports, c.ports);
  });
}

// Kuma: pkg/transparentproxy/config/utils.go::validateIP; app/cni/pkg/cni/annotations_linux.go::validateIPs
const ipCases = [
  { name: "v4 address and CIDR", value: "10.0.0.1,172.16.0.0/16", ok: true },
  { name: "v6 address and CIDR, trimmed", value: "fe80::1, fe80::/10", ok: true },
  { name: "hostname", value: "example.com", ok: false },
  { name: "range", value: "10.0.0.1-10.0.0.9", ok: false },
  { name: "prefix too long", value: "10.0.0.0/33", ok: false },
  { name: "zone", value: "fe80::1%eth0", ok: false },
  { name: "trailing comma", value: "10.0.0.1,", ok: false },
  { name: "empty value (CNI: IPs cannot be empty)", value: "", ok: false },
  { name: "leading zeros (Go rejects)", value: "010.0.0.1", ok: false },
];
for (const c of ipCases) test(`exclude IPs: ${c.name}`, () => assert.equal("value" in parseExcludeIps(c.value), c.ok));

test("list parsers never throw", () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseList(s);
      parseExcludePorts(s);
      parseExcludeIps(s);
    }),
  );
});

test("printed port lists parse back", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 65535 })), fc.constantFrom(",", ", "), (ports, sep) => {
      const r = parseExcludePorts(ports.join(sep));
      assert.deepEqual("value" in r && r.value.ports, ports);
    }),
  );
});

test("printed IP lists parse back", () => {
  const v4 = fc.tuple(fc.ipV4(), fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }));
  const v6 = fc.tuple(fc.ipV6(), fc.option(fc.integer({ min: 0, max: 128 }), { nil: undefined }));
  fc.assert(
    fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1 }), (items) => {
      const text = items.map(([ip, prefix]) => (prefix === undefined ? ip : `${ip}/${prefix}`)).join(",");
      const r = parseExcludeIps(text);
      assert.ok("value" in r, text);
      assert.deepEqual(
        r.value.map((ip) => [ip.address, ip.prefix]),
        items,
      );
    }),
  );
});

test("printed GetList values parse back", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1 }).filter((s) => !s.includes(","))), (items) => {
      const r = parseList(items.join(","));
      assert.deepEqual("value" in r && r.value.items, items);
    }),
  );
});

test("property: toTrimmedList is the items trimmed, empty ones dropped, whatever the value", () => {
  const value = fc.array(fc.constantFrom("a", "b1", "", " ", " c ", "\t", "-"), { maxLength: 10 }).map((items) => items.join(","));
  fc.assert(
    fc.property(value, (text) => {
      const expected = text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")
        .join(",");
      assert.equal(toTrimmedList(text), expected);
    }),
  );
});
