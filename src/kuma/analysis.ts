// What Kuma would make of one subject: the analysis a review shares between its rules.
// One object per reviewed subject, dropped with the review. Each fact is derived on first
// use and kept in a typed field, so rules ask for what they need without caring who asked
// first. What comes from the catalog and the policy (catalog patches read, their chains
// simulated) comes from `ReviewInputs`, which the snapshot (src/snapshot.ts) implements.

import { judgeContainer, unknownFields } from "./container-validation.js";
import type { ContainerJudgement, ContainerProblem, UnknownField } from "./container-validation.js";
import { blocksOf, isSpecSound, readPatchSpec } from "./container-patch.js";
import type { PatchBlock, PatchList, PatchSpecReading } from "./container-patch.js";
import { toLibraryTokens } from "./json-pointer.js";
import { injectionOf } from "./injection.js";
import type { Injection } from "./injection.js";
import type { KumaModel } from "./versions/index.js";
import type {
  CatalogView,
  ContainerPatchSubject,
  ContainerTemplates,
  KumaSettings,
  Labels,
  PatchReferences,
  Subject,
  WorkloadSubject,
} from "./model.js";
import { continueChain, isInjected, referencedPatchNames, simulateChain } from "./patch-simulation.js";
import type { ChainEntry, ContainerOutcome, PatchNames, Simulation } from "./patch-simulation.js";

/** One of Kuma's containers after a chain, with what is wrong with it. */
export interface JudgedOutcome extends ContainerOutcome {
  /** Why the container would fail Kuma's unmarshal or the API server. */
  problems: readonly ContainerProblem[];
  /** The part of `problems` the Container schema found. */
  schemaProblems: readonly ContainerProblem[];
  /** Fields a Kubernetes Container does not have (Kuma silently drops them). */
  unknownFields: readonly UnknownField[];
}

/** Both of Kuma's containers after a chain, judged. */
export interface JudgedSimulation {
  sidecar: JudgedOutcome;
  init: JudgedOutcome;
}

/** A chain of catalog patches, applied and judged. */
export interface SimulatedChain {
  /** The catalog patches found, in Kuma's order (names the catalog lacks are skipped). */
  entries: readonly ChainEntry[];
  /** Every entry passed patch-op, patch-path, patch-value and patch-from. */
  sound: boolean;
  simulation: JudgedSimulation;
}

/** A catalog patch, read. */
export interface CatalogPatch extends ChainEntry {
  /** The patch passed patch-op, patch-path, patch-value and patch-from. */
  sound: boolean;
}

/** What an analysis reads from outside the subject: the policy's settings and templates, and the catalog. */
export interface ReviewInputs {
  /** The Kuma minor judged against: its annotations, grammars and rendered containers. */
  readonly kuma: KumaModel;
  readonly settings: KumaSettings;
  readonly templates: ContainerTemplates;
  readonly catalog: CatalogView;
  /** The catalog patch of that name, read; undefined when the catalog lacks it. */
  patch(name: string): CatalogPatch | undefined;
  /** The catalog patches named, in order, applied to the templates (missing names skipped). */
  chain(names: readonly string[]): SimulatedChain;
  /** The labels of a namespace, or undefined when the namespace is not known. */
  namespaceLabels(namespace: string): Labels | undefined;
}

/** One of Kuma's containers with the patches under review applied, and without them. */
export interface PatchEffect {
  list: PatchList;
  after: JudgedOutcome;
  before: JudgedOutcome;
}

/** `simulation` with each container judged. */
function judge(simulation: Simulation): JudgedSimulation {
  return { sidecar: judgeOutcome(simulation.sidecar), init: judgeOutcome(simulation.init) };
}

/**
 * `outcome` judged when a rule first asks: a workload whose patches change nothing is never
 * judged, so `check` on plain manifests never loads the Container validator.
 */
function judgeOutcome(outcome: ContainerOutcome, change?: { base: JudgedOutcome; blocks: readonly PatchBlock[] }): JudgedOutcome {
  let judgement: ContainerJudgement | undefined;
  const judged = (): ContainerJudgement => {
    if (judgement) return judgement;
    const changed = change ? changedFields(change.blocks) : undefined;
    return (judgement = judgeContainer(
      outcome.container,
      change && changed ? { schemaProblems: change.base.schemaProblems, changed } : undefined,
    ));
  };
  let unknown: readonly UnknownField[] | undefined;
  return {
    ...outcome,
    get problems() {
      return judged().problems;
    },
    get schemaProblems() {
      return judged().schemaProblems;
    },
    get unknownFields() {
      return (unknown ??= unknownFields(outcome.container));
    },
  };
}

/** The top-level fields of a container `blocks` write (or move from); undefined when one replaces the whole container. */
function changedFields(blocks: readonly PatchBlock[]): ReadonlySet<string> | undefined {
  const changed = new Set<string>();
  for (const block of blocks) {
    for (const pointer of [block.path, block.from]) {
      if (typeof pointer !== "string") continue;
      const top = toLibraryTokens(pointer)[0];
      if (top === undefined || top === "") return undefined;
      changed.add(top);
    }
  }
  return changed;
}

/** The chain of `names` over `inputs`' templates, uncached: what the snapshot keeps per name list. */
export function simulateCatalogChain(inputs: Pick<ReviewInputs, "templates" | "patch">, names: readonly string[]): SimulatedChain {
  const entries: CatalogPatch[] = [];
  for (const name of names) {
    const patch = inputs.patch(name);
    if (patch) entries.push(patch);
  }
  return { entries, sound: entries.every((entry) => entry.sound), simulation: judge(simulateChain(inputs.templates, entries)) };
}

/** A catalog patch read from its stored spec. */
export function readCatalogPatch(name: string, spec: unknown): CatalogPatch {
  const reading = readPatchSpec(spec);
  return { name, reading, sound: isSpecSound(reading) };
}

/**
 * The analysis of one subject in one review. Rules read the inputs (`settings`, `templates`,
 * `catalog`) and the derived facts below; getters that only make sense for one target say so.
 */
export class ReviewAnalysis {
  #reading?: PatchSpecReading;
  #referenced?: PatchNames;
  #chain?: SimulatedChain;
  #chainSound?: boolean;
  #simulation?: JudgedSimulation;
  #effects?: readonly PatchEffect[];
  #injection?: Injection;

  constructor(
    readonly subject: Subject,
    private readonly inputs: ReviewInputs,
    /** Which workloads name which patches (--kube), for the operation under review; undefined without an index. */
    readonly references?: PatchReferences,
  ) {}

  get kuma(): KumaModel {
    return this.inputs.kuma;
  }

  get settings(): KumaSettings {
    return this.inputs.settings;
  }

  get templates(): ContainerTemplates {
    return this.inputs.templates;
  }

  get catalog(): CatalogView {
    return this.inputs.catalog;
  }

  /** Whether Kuma will inject this workload's pods, from its label and (when known) its namespace's. */
  get injection(): Injection {
    if (this.subject.target !== "workload") throw new Error(`${this.subject.kind} is not a workload`);
    const { template, meta } = this.subject;
    return (this.#injection ??= injectionOf(
      template.labels,
      meta.namespace,
      this.inputs.namespaceLabels(meta.namespace),
      this.settings.controlPlaneNamespaces,
    ));
  }

  /** A catalog patch, read (once per snapshot). */
  catalogPatch(name: string): CatalogPatch | undefined {
    return this.inputs.patch(name);
  }

  /** The catalog patches named, applied in order (once per snapshot and name list). */
  catalogChain(names: readonly string[]): SimulatedChain {
    return this.inputs.chain(names);
  }

  /** The ContainerPatch under review, its spec read totally. */
  get reading(): PatchSpecReading {
    return (this.#reading ??= readPatchSpec(this.#containerPatch().spec));
  }

  /** The patch names Kuma applies, in order (see referencedPatchNames). */
  get referencedNames(): readonly string[] {
    return this.#referencedPatchNames().names;
  }

  /** The annotation names more patches than a review reads (MAX_PATCH_NAMES): the rest are not checked. */
  get hasUnreadNames(): boolean {
    return this.#referencedPatchNames().more;
  }

  /**
   * The catalog chain Kuma applies: for a workload, the default patches and its annotation's;
   * for a ContainerPatch, the default patches it is applied after (itself excluded).
   */
  get chain(): SimulatedChain {
    if (this.#chain) return this.#chain;
    const subject = this.#patchedSubject();
    const names = subject.target === "workload" ? this.referencedNames : this.referencedNames.slice(0, -1);
    return (this.#chain = this.inputs.chain(names));
  }

  /** True when every patch simulated passed patch-op/path/value/from, so patch-apply and patch-container may speak. */
  get chainSound(): boolean {
    return (this.#chainSound ??= this.#patchedSubject().target === "workload" ? this.chain.sound : isSpecSound(this.reading));
  }

  /** Both containers after everything Kuma applies for this subject. */
  get simulation(): JudgedSimulation {
    if (this.#simulation) return this.#simulation;
    const subject = this.#patchedSubject();
    if (subject.target === "workload") return (this.#simulation = this.chain.simulation);
    const own: ChainEntry = { name: subject.meta.name, reading: this.reading };
    const base = this.chain.simulation;
    const after = continueChain(base, [own]);
    // Most patches change one container only: the other is the base's, judged already.
    const judged = (list: PatchList, outcome: ContainerOutcome, before: JudgedOutcome): JudgedOutcome => {
      const blocks = blocksOf(this.reading, list);
      return blocks.length === 0 && outcome.container === before.container ? before : judgeOutcome(outcome, { base: before, blocks });
    };
    return (this.#simulation = {
      sidecar: judged("sidecarPatch", after.sidecar, base.sidecar),
      init: judged("initPatch", after.init, base.init),
    });
  }

  /**
   * Both containers without the patches under review, so findings name only what they add:
   * the bare templates for a workload, the default patches for a ContainerPatch.
   */
  get baseline(): JudgedSimulation {
    return this.#patchedSubject().target === "workload" ? this.inputs.chain([]).simulation : this.chain.simulation;
  }

  /**
   * What the patches under review change in each of Kuma's containers, for the rules that
   * compare before and after. None when a block is unsound (other rules speak), a
   * ContainerPatch is empty, or a pod was already injected (Kuma applied its chain); none for
   * a container whose chain was too long to simulate (patch-apply's not-simulated).
   */
  get effects(): readonly PatchEffect[] {
    if (this.#effects) return this.#effects;
    const subject = this.#patchedSubject();
    const nothingToJudge = subject.target === "workload" ? isInjected(subject) : this.reading.blocks.length === 0;
    if (nothingToJudge || !this.chainSound) return (this.#effects = []);
    const { simulation, baseline } = this;
    const effects: PatchEffect[] = [
      { list: "sidecarPatch", after: simulation.sidecar, before: baseline.sidecar },
      { list: "initPatch", after: simulation.init, before: baseline.init },
    ];
    // A chain cut short by the work limit ends in an intermediate container: nothing to compare.
    return (this.#effects = effects.filter(({ after, before }) => !after.unverified && !before.unverified));
  }

  #referencedPatchNames(): PatchNames {
    return (this.#referenced ??= referencedPatchNames(this.#patchedSubject(), this.settings));
  }

  #containerPatch(): ContainerPatchSubject {
    if (this.subject.target !== "containerpatch") throw new Error(`${this.subject.kind} is not a ContainerPatch`);
    return this.subject;
  }

  #patchedSubject(): ContainerPatchSubject | WorkloadSubject {
    if (this.subject.target === "namespace") throw new Error("a Namespace has no container patches");
    return this.subject;
  }
}
