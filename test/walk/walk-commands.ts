/**
 * The steps of a lifecycle walk, as fast-check commands over a model of
 * what the stacks should serve: config changes (export, mode, prefix,
 * retention, cutover, policy, an override, the tables), up, preview,
 * refresh, the cutover and rollback commands run with psql, destroy, and a
 * second stack joining the first one's prefix. Each step checks the
 * invariants (walk-invariants.ts) once it is done.
 */
import * as fc from "fast-check";
import { checkInvariants, servedPrefixes } from "./walk-invariants";
import { ExportName, prefixFacts, StackName, WalkSystem } from "./walk-system";

export type Mode = "simple" | "blue-green" | "complete";
export type Prefix = "wa" | "wb";

export interface StackConfig {
  source: ExportName;
  mode: Mode;
  schemaPrefix: Prefix;
  retainVersions: 0 | 1 | 2;
  cutover: "" | "manual" | "auto";
  badValuePolicy: "reject" | "null";
  override: boolean;
  excludeTimesheets: boolean;
}

export interface StackOutputs {
  schemaName: string;
  previousSchemaName: string;
  rowCounts: Record<string, number>;
  cutoverCommand: string;
  rollbackCommand: string;
}

export interface StackModel {
  config: StackConfig;
  /** The config of the last successful up, or null while nothing is deployed. */
  applied: StackConfig | null;
  outputs: StackOutputs | null;
}

export interface WalkModel {
  stacks: Partial<Record<StackName, StackModel>>;
  /** The version each served prefix's stable schema must point at. */
  active: Partial<Record<Prefix, string>>;
}

export const INITIAL_CONFIG: StackConfig = {
  source: "A",
  mode: "complete",
  schemaPrefix: "wa",
  retainVersions: 1,
  cutover: "",
  badValuePolicy: "reject",
  override: false,
  excludeTimesheets: false,
};

/** The stack config of a model config: plain keys, and structured ones by path (null: left to the default). */
export function pulumiConfig(config: StackConfig, exports: Record<ExportName, string>): Record<string, string | null> {
  return {
    source: exports[config.source],
    mode: config.mode,
    schemaPrefix: config.schemaPrefix,
    retainVersions: String(config.retainVersions),
    cutover: config.cutover,
    badValuePolicy: config.badValuePolicy,
    "typeOverrides.tickets.reopen_count": config.override ? "text" : null,
    "excludeTables[0]": config.excludeTimesheets ? "timesheets" : null,
  };
}

const cutoverOf = (config: StackConfig) => (config.cutover !== "" ? config.cutover : config.mode === "blue-green" ? "manual" : "auto");
/** The check refuses blue-green with an automatic cutover. */
const contradicts = (config: StackConfig) => config.mode === "blue-green" && config.cutover === "auto";

type Step = fc.AsyncCommand<WalkModel, WalkSystem>;

/** Runs a step's action between two checks of the invariants, with the reader watching what must stay served. */
async function step(
  this: Step,
  model: WalkModel,
  system: WalkSystem,
  mayRemove: readonly string[],
  action: () => Promise<void>,
): Promise<void> {
  expect({ failuresBetweenSteps: system.reader.watch(servedPrefixes(model).filter((p) => !mayRemove.includes(p))) }).toEqual({
    failuresBetweenSteps: [],
  });
  await action();
  await checkInvariants(model, system);
  system.walked.push(this.toString());
}

export class SetConfig implements Step {
  constructor(
    readonly stack: StackName,
    readonly key: keyof StackConfig,
    readonly value: StackConfig[keyof StackConfig],
  ) {}
  check = (m: Readonly<WalkModel>) => m.stacks[this.stack] !== undefined && m.stacks[this.stack]!.config[this.key] !== this.value;
  async run(model: WalkModel, system: WalkSystem) {
    await step.call(this, model, system, [], async () => {
      const stack = model.stacks[this.stack]!;
      stack.config = { ...stack.config, [this.key]: this.value };
      await system.applyConfig(this.stack, pulumiConfig(stack.config, system.exports));
    });
  }
  toString = () => `config(${this.stack}).${this.key} = ${JSON.stringify(this.value)}`;
}

export class Up implements Step {
  constructor(readonly stack: StackName) {}
  check = (m: Readonly<WalkModel>) => m.stacks[this.stack] !== undefined;
  async run(model: WalkModel, system: WalkSystem) {
    const stack = model.stacks[this.stack]!;
    const left = leftPrefix(model, this.stack);
    await step.call(this, model, system, left ? [left] : [], async () => {
      const before = await prefixFacts(system.database.url, stack.config.schemaPrefix);
      const result = await system.stacks[this.stack]!.up().then(
        (r) => r,
        (e: Error) => e,
      );
      if (contradicts(stack.config)) {
        expect(result).toBeInstanceOf(Error);
        expect((result as Error).message).toContain("blue-green switches the stable schema only on the cutover command");
        expect(await prefixFacts(system.database.url, stack.config.schemaPrefix)).toEqual(before);
        return;
      }
      if (result instanceof Error) throw result;
      const changes = result.summary.resourceChanges ?? {};
      const outputs = await outputsOf(system, this.stack);
      const servesNew = (changes.create ?? 0) + (changes.replace ?? 0) > 0;
      const becameAuto = (changes.update ?? 0) > 0 && stack.applied !== null && cutoverOf(stack.applied) !== "auto";
      if (cutoverOf(stack.config) === "auto" && (servesNew || becameAuto)) model.active[stack.config.schemaPrefix] = outputs.schemaName;
      if (left) delete model.active[left];
      stack.applied = { ...stack.config };
      stack.outputs = outputs;
    });
  }
  toString = () => `up(${this.stack})`;
}

/** The prefix a step takes away from this stack, when no other deployed stack serves it. */
function leftPrefix(model: Readonly<WalkModel>, name: StackName, destroying = false): Prefix | null {
  const stack = model.stacks[name]!;
  if (!stack.applied || (!destroying && stack.applied.schemaPrefix === stack.config.schemaPrefix) || contradicts(stack.config)) return null;
  const shared = Object.entries(model.stacks).some(
    ([other, s]) => other !== name && s?.applied?.schemaPrefix === stack.applied!.schemaPrefix,
  );
  return shared ? null : stack.applied.schemaPrefix;
}

export class Preview implements Step {
  constructor(readonly stack: StackName) {}
  check = (m: Readonly<WalkModel>) => m.stacks[this.stack] !== undefined;
  async run(model: WalkModel, system: WalkSystem) {
    await step.call(this, model, system, [], async () => {
      const result = await system.stacks[this.stack]!.preview().then(
        () => null,
        (e: Error) => e,
      );
      expect({ refused: result !== null }).toEqual({ refused: contradicts(model.stacks[this.stack]!.config) });
    });
  }
  toString = () => `preview(${this.stack})`;
}

export class Refresh implements Step {
  constructor(readonly stack: StackName) {}
  check = (m: Readonly<WalkModel>) => m.stacks[this.stack]?.applied != null;
  async run(model: WalkModel, system: WalkSystem) {
    await step.call(this, model, system, [], async () => {
      await system.stacks[this.stack]!.refresh();
      // The state and the database agree: the outputs' counts are the version's.
      const outputs = await outputsOf(system, this.stack);
      const facts = await prefixFacts(system.database.url, model.stacks[this.stack]!.applied!.schemaPrefix);
      expect({ version: outputs.schemaName, rows: outputs.rowCounts }).toEqual({
        version: outputs.schemaName,
        rows: facts.versions[outputs.schemaName],
      });
      model.stacks[this.stack]!.outputs = outputs;
    });
  }
  toString = () => `refresh(${this.stack})`;
}

export class SwitchCommand implements Step {
  constructor(
    readonly stack: StackName,
    readonly which: "cutover" | "rollback",
  ) {}
  check = (m: Readonly<WalkModel>) =>
    (this.which === "cutover" ? m.stacks[this.stack]?.outputs?.cutoverCommand : m.stacks[this.stack]?.outputs?.rollbackCommand)
      ? true
      : false;
  async run(model: WalkModel, system: WalkSystem) {
    await step.call(this, model, system, [], async () => {
      const stack = model.stacks[this.stack]!;
      const outputs = stack.outputs!;
      const target = this.which === "cutover" ? outputs.schemaName : outputs.previousSchemaName;
      const prefix = stack.applied!.schemaPrefix;
      const exists = (await prefixFacts(system.database.url, prefix)).versions[target] !== undefined;
      const result = system.psql(this.which === "cutover" ? outputs.cutoverCommand : outputs.rollbackCommand);
      // A target retention has dropped is refused, and nothing changes.
      expect({ target, ran: result.ok }).toEqual({ target, ran: exists });
      if (exists) model.active[prefix] = target;
    });
  }
  toString = () => `psql ${this.which}(${this.stack})`;
}

export class Destroy implements Step {
  constructor(readonly stack: StackName) {}
  check = (m: Readonly<WalkModel>) => m.stacks[this.stack]?.applied != null;
  async run(model: WalkModel, system: WalkSystem) {
    const left = leftPrefix(model, this.stack, true);
    await step.call(this, model, system, left ? [left] : [], async () => {
      await system.stacks[this.stack]!.destroy();
      if (left) delete model.active[left];
      model.stacks[this.stack]!.applied = null;
      model.stacks[this.stack]!.outputs = null;
    });
  }
  toString = () => `destroy(${this.stack})`;
}

/** A second stack starts on the first one's prefix. */
export class JoinSecondStack implements Step {
  constructor(readonly source: ExportName) {}
  check = (m: Readonly<WalkModel>) => m.stacks.two === undefined;
  async run(model: WalkModel, system: WalkSystem) {
    await step.call(this, model, system, [], async () => {
      const config: StackConfig = { ...INITIAL_CONFIG, source: this.source, schemaPrefix: model.stacks.one!.config.schemaPrefix };
      await system.openStack("two", pulumiConfig(config, system.exports));
      model.stacks.two = { config, applied: null, outputs: null };
    });
  }
  toString = () => `join(two, ${this.source})`;
}

async function outputsOf(system: WalkSystem, name: StackName): Promise<StackOutputs> {
  const raw = Object.fromEntries(Object.entries(await system.stacks[name]!.outputs()).map(([k, v]) => [k, v.value]));
  return {
    schemaName: raw.schemaName,
    previousSchemaName: raw.previousSchemaName,
    rowCounts: raw.rowCounts,
    cutoverCommand: raw.cutoverCommand,
    rollbackCommand: raw.rollbackCommand,
  };
}

const stacks = fc.constantFrom<StackName>("one", "two");
type ConfigChange = [keyof StackConfig, StackConfig[keyof StackConfig]];
const change = <K extends keyof StackConfig>(key: K, values: fc.Arbitrary<StackConfig[K]>): fc.Arbitrary<ConfigChange> =>
  values.map((v): ConfigChange => [key, v]);
const configChange: fc.Arbitrary<ConfigChange> = fc.oneof(
  change("source", fc.constantFrom<ExportName>("A", "B", "C")),
  change("mode", fc.constantFrom<Mode>("simple", "blue-green", "complete")),
  change("schemaPrefix", fc.constantFrom<Prefix>("wa", "wb")),
  change("retainVersions", fc.constantFrom<0 | 1 | 2>(0, 1, 2)),
  change("cutover", fc.constantFrom<"" | "manual" | "auto">("", "manual", "auto")),
  change("badValuePolicy", fc.constantFrom<"reject" | "null">("reject", "null")),
  change("override", fc.boolean()),
  change("excludeTimesheets", fc.boolean()),
);

/** Ups and config changes weigh three times the rest: they are what a pipeline does all day. */
export const WALK_STEPS: fc.Arbitrary<Step>[] = [
  ...Array.from({ length: 3 }, () => fc.tuple(stacks, configChange).map(([s, [key, value]]) => new SetConfig(s, key, value))),
  ...Array.from({ length: 3 }, () => stacks.map((s) => new Up(s))),
  stacks.map((s) => new Preview(s)),
  stacks.map((s) => new Refresh(s)),
  stacks.map((s) => new SwitchCommand(s, "cutover")),
  stacks.map((s) => new SwitchCommand(s, "rollback")),
  stacks.map((s) => new Destroy(s)),
  fc.constantFrom<ExportName>("A", "B", "C").map((e) => new JoinSecondStack(e)),
];
