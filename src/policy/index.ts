// The policy layer's public API: what cli.ts (serve, check) and embedders call.
export { createPolicyStore } from "./store.js";
export type { PolicyStore, PolicyStoreOptions, PolicyLogger, PolicyReloadCounter } from "./store.js";
export { loadPolicy, parsePolicy, bundledPolicyPath } from "./load.js";
export { compilePolicy, createDefaultPolicy, DEFAULT_POLICY_DOCUMENT } from "./compile.js";
export type { PolicyDocument, ExemptionSpec, CompileOptions } from "./compile.js";
export { PolicyLoadError } from "./errors.js";
export type { Policy } from "./types.js";
