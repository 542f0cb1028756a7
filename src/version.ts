import { readFileSync } from "node:fs";

/**
 * The package version, read once from the package root's package.json: one level up from
 * dist/, two from .test-build/src/ (where the tests run the CLI from).
 */
export const VERSION: string = (JSON.parse(readPackageJson()) as { version: string }).version;

function readPackageJson(): string {
  try {
    return readFileSync(new URL("../package.json", import.meta.url), "utf8");
  } catch {
    return readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  }
}
