// kube_lookups_total{result} and catalog_files_skipped{reason}: read from the catalog at scrape time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { createMetrics } from "../src/metrics.js";

test("the catalog's lookup and skipped-file counts are exported by label", async () => {
  const metrics = createMetrics(
    {
      catalog: () => ({
        synced: true,
        countsByNamespace: {},
        lookups: { found: 2, missing: 5, error: 1, skipped: 4992 },
        skippedFiles: { too_large: 0, too_deep: 1, too_slow: 0, unparsable: 2, unreadable: 0 },
      }),
    },
    new Registry(),
  );
  const text = await metrics.registry.metrics();
  for (const line of [
    'kuma_guard_kube_lookups_total{result="found"} 2',
    'kuma_guard_kube_lookups_total{result="skipped"} 4992',
    'kuma_guard_catalog_files_skipped{reason="too_deep"} 1',
    'kuma_guard_catalog_files_skipped{reason="unparsable"} 2',
    'kuma_guard_catalog_files_skipped{reason="too_large"} 0',
  ]) {
    assert.ok(text.includes(line), line);
  }
});

test("no samples for a catalog without those counts", async () => {
  const metrics = createMetrics({ catalog: () => ({ synced: true, countsByNamespace: {} }) }, new Registry());
  const text = await metrics.registry.metrics();
  assert.doesNotMatch(text, /kube_lookups_total\{/);
  assert.doesNotMatch(text, /catalog_files_skipped\{/);
});
