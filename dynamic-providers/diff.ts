/**
 * What a change of inputs does, as the lifecycle table (lifecycle.ts) says:
 * anything that changes the loaded data replaces the resource (the new one
 * is created before the old one is deleted); the rest updates it in place.
 */
import type { MigrationInputs } from "./inputs";
import { REPLACING_INPUTS, UPDATING_INPUTS } from "./lifecycle";

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Key order must not count as a change. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

export interface InputDiff {
  changes: boolean;
  replaces: string[];
  updates: string[];
  deleteBeforeReplace: false;
}

export function diffInputs(olds: Partial<MigrationInputs>, news: Partial<MigrationInputs>): InputDiff {
  const replaces = REPLACING_INPUTS.filter((key) => !same(olds[key], news[key]));
  const updates = UPDATING_INPUTS.filter((key) => !same(olds[key], news[key]));
  return { changes: replaces.length + updates.length > 0, replaces, updates, deleteBeforeReplace: false };
}
