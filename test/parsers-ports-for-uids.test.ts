// traffic.kuma.io/exclude-outbound-ports-for-uids and the legacy tcp/udp variants.
// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForUIDs;
// release-2.8 pkg/transparentproxy/kubernetes/kubernetes.go (legacy).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parsePortsForUids, uidExclusionToString } from "../src/kuma/parsers/ports-for-uids.js";
import type { Protocol, UidExclusion, ValueRange } from "../src/kuma/parsers/ports-for-uids.js";
import { parseLegacyPortsForUids } from "../src/kuma/parsers/legacy-ports-for-uids.js";

const cases = [
  { name: "single uid", value: "1000", ok: true },
  { name: "ports and uid range", value: "53,3000-5000:106-108", ok: true },
  { name: "two entries", value: "tcp:443:1234;udp:53:1234", ok: true },
  { name: "both protocols, all ports", value: "tcp,udp:*:1000", ok: true },
  { name: "empty ports = all", value: "tcp::1000", ok: true },
  { name: "protocol case-insensitive", value: "TCP:443:1000", ok: true },
  { name: "port 0 accepted", value: "0:1000", ok: true },
  { name: "uid list", value: "tcp:443:1000,1001", ok: false },
  { name: "uid wildcard", value: "*:*:*", ok: false },
  { name: "uid above 65535", value: "443:70000", ok: false },
  { name: "unknown protocol", value: "sctp:1:1", ok: false },
  { name: "four parts", value: "a:b:c:d", ok: false },
  { name: "padded port", value: "53, 80:1000", ok: false },
  { name: "double range", value: "1-2-3:1000", ok: false },
];
for (const c of cases)
  test(`ports-for-uids: ${c.name}`, () =>
    assert.equal("value" in parsePortsForUids(c.value), c.ok, JSON.stringify(parsePortsForUids(c.value))));

test("trailing ; is an entry without uids (Kuma accepts it: bypass for all)", () => {
  const r = parsePortsForUids("tcp:443:1000;");
  assert.ok("value" in r);
  assert.equal(r.value.length, 2);
  assert.equal(r.value[1]?.uids, undefined);
  assert.deepEqual(r.value[1]?.protocols, ["tcp", "udp"]);
});

const legacyCases = [
  { name: "documented example", value: "443:1234", entries: ["tcp:443:1234"] },
  { name: "two entries", value: "443:1234;80,8080:1000-1010", entries: ["tcp:443:1234", "tcp:80,8080:1000-1010"] },
  { name: "uid alone (2.8 read it as ports 'tcp')", value: "1234", entries: undefined },
  { name: "three parts", value: "tcp:443:1234", entries: undefined },
  { name: "empty entry", value: "443:1234;", entries: undefined },
  { name: "no uid", value: "443:", entries: undefined },
];
for (const c of legacyCases) {
  test(`legacy: ${c.name}`, () => {
    const r = parseLegacyPortsForUids(c.value, "tcp");
    assert.deepEqual("value" in r ? r.value.map((e) => e.text) : undefined, c.entries);
  });
}

test("ports-for-uids parsers never throw", () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      parsePortsForUids(s);
      parseLegacyPortsForUids(s, "udp");
    }),
  );
  fc.assert(fc.property(fc.stringMatching(/^[tcpudTCPUD0-9*,:;\- ]*$/), (s) => void parsePortsForUids(s)));
});

const uint16 = fc.integer({ min: 0, max: 65535 });
const range: fc.Arbitrary<ValueRange> = fc.oneof(
  uint16.map((n) => ({ from: n, to: n })),
  fc.tuple(uint16, uint16).map(([from, to]) => ({ from, to })),
);
const protocols: fc.Arbitrary<Protocol[]> = fc.constantFrom<Protocol[]>(["tcp"], ["udp"], ["tcp", "udp"]);
const entry: fc.Arbitrary<Omit<UidExclusion, "text">> = fc.record({
  protocols,
  ports: fc.oneof(fc.constant("all" as const), fc.array(range, { minLength: 1, maxLength: 4 })),
  uids: range,
});

test("printed entries parse back to the same model", () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
      const text = entries.map(uidExclusionToString).join(";");
      const r = parsePortsForUids(text);
      assert.ok("value" in r, text);
      assert.deepEqual(
        r.value.map(({ text: _t, ...model }) => model),
        entries.map((e) => ({ ...e })),
      );
    }),
  );
});
