/**
 * What readers are on: the version the stable schema serves, its recorded
 * metadata, the version a holder (a stack) holds, and why the two differ
 * when the database can tell. Read only; no lock is taken (a review is a
 * look, not a decision).
 */
import type { ClientBase } from "pg";
import { findReusableVersion, readClaims, readVersionMetadata, stableState, VersionMetadata } from "../versions";
import { DriftReason } from "./model";

export interface ReadersState {
  readonly on: string | null;
  /** The metadata of the version readers are on (null: none served, or not ours). */
  readonly version: VersionMetadata | null;
  readonly held: string | null;
  readonly drift: { readonly reason: DriftReason; readonly text: string } | null;
}

export async function readReaders(client: ClientBase, prefix: string, owner: string | null): Promise<ReadersState> {
  const state = await stableState(client, prefix);
  const on = state?.active ?? null;
  const version = on === null ? null : await readVersionMetadata(client, on);
  const held = owner === null ? null : ((await readClaims(client, prefix)).get(owner)?.schema ?? null);
  return { on, version, held, drift: driftOf(on, held, state?.previous ?? null, state?.switchedAt ?? null, version) };
}

/** A retained version a run would adopt instead of loading this export with these options, or null. */
export async function adoptableVersion(client: ClientBase, prefix: string, digest: string, fingerprint: string): Promise<string | null> {
  return (await findReusableVersion(client, prefix, digest, fingerprint))?.schema ?? null;
}

/**
 * Why readers are on `on` rather than the held version: the version was
 * restored from a backup (restore records it), the stable schema was
 * switched back from the held version to an older one (the rollback
 * command), or it was switched some other way (a cutover outside the stack).
 */
function driftOf(
  on: string | null,
  held: string | null,
  previous: string | null,
  switchedAt: string | null,
  version: VersionMetadata | null,
): ReadersState["drift"] {
  if (held === null || on === held) return null;
  const at = switchedAt ? ` at ${switchedAt}` : "";
  if (on === null)
    return { reason: "switch", text: `readers are on no version: the stable schema serves nothing, while this stack holds ${held}` };
  if (version?.restoredAt && (switchedAt === null || version.restoredAt <= switchedAt))
    return {
      reason: "restore",
      text: `readers are on ${on}, restored from a backup at ${version.restoredAt} and switched to${at}; this stack holds ${held}`,
    };
  // Version names sort by their load time.
  if (previous === held && on < held)
    return { reason: "rollback", text: `readers are on ${on}: the stable schema was rolled back from ${held}${at}` };
  return { reason: "switch", text: `readers are on ${on}: the stable schema was switched${at} outside this stack, which holds ${held}` };
}
