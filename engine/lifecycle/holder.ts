/**
 * What a holder of a version does besides a run (a Pulumi resource's
 * update, refresh and delete; any tool that claims versions): apply
 * settings that need no new load, count its version's rows, and let go of
 * it on destroy. Each call takes the prefix lock where it changes
 * anything, so no run reads the claims between a decision and a drop.
 * Claims and retention are engine/versions'; pruning the backups is
 * engine/backup's, which reads the versions: this sits above both.
 */
import type { ClientBase } from "pg";
import { pruneBackupsWithClient } from "../backup";
import { qualified, quoteIdent } from "../sql/identifiers";
import {
  activeVersion,
  Claim,
  collectGarbage,
  controlSchemaName,
  dropStaging,
  dropVersion,
  heldByOthers,
  holdVersion,
  listVersions,
  readClaims,
  readVersionMetadata,
  releaseClaim,
  stableSchemaName,
  stableState,
  switchTo,
  withPrefixLock,
} from "../versions";

export interface HolderSettings {
  readonly prefix: string;
  /** The version the holder loaded (a resource's id). */
  readonly schema: string;
  readonly owner: string;
  /** The holder's instance (a replacement has a new one). */
  readonly instance: string;
  /** Previous versions kept besides the active one. */
  readonly retainVersions: number;
  /** Where the prefix's backups are, and how long one no version needs is kept. */
  readonly backupDirectory: string;
  readonly backupKeepDays: number;
}

/**
 * Settings changed without a new load: the version is served now when the
 * cutover just became automatic (`serveNow`), retention keeps what the new
 * settings say, the backups no version needs go, and the claim is the
 * holder's under its owner (a previous owner's is released). Returns the
 * version readers are on afterwards.
 */
export async function settleHolder(
  client: ClientBase,
  settings: HolderSettings,
  change: { readonly serveNow: boolean; readonly previousOwner: string },
): Promise<string | null> {
  const { prefix, schema, owner } = settings;
  return withPrefixLock(client, prefix, {}, async () => {
    if (change.serveNow && (await activeVersion(client, prefix)) !== schema) await switchTo(client, prefix, schema);
    const keep = [schema, ...(await heldByOthers(client, prefix, owner))];
    await collectGarbage(client, prefix, { retain: settings.retainVersions + 1, keep });
    await pruneBackupsWithClient(client, { backupDirectory: settings.backupDirectory, prefix, keepDays: settings.backupKeepDays });
    if (change.previousOwner !== owner) await releaseClaim(client, prefix, change.previousOwner);
    await holdVersion(client, prefix, { owner, instance: settings.instance }, schema);
    return activeVersion(client, prefix);
  });
}

/**
 * What a refresh reads of a holder's version: its rows (null when the
 * version is gone) and the version readers are on now, which a rollback or
 * restore outside the holder may have changed.
 */
export async function holderState(
  client: ClientBase,
  holder: { readonly prefix: string; readonly schema: string },
): Promise<{ rowCounts: Record<string, number> | null; served: string | null }> {
  return { rowCounts: await versionRowCounts(client, holder.schema), served: await activeVersion(client, holder.prefix) };
}

/** Rows in each table of a version as its metadata lists them, or null when the version is gone. */
async function versionRowCounts(client: ClientBase, schema: string): Promise<Record<string, number> | null> {
  const meta = await readVersionMetadata(client, schema);
  if (meta === null) return null;
  const counts: Record<string, number> = {};
  for (const table of Object.keys(meta.tables)) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(schema, table)}`);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

/**
 * A holder's destroy. A replacement's predecessor (a newer instance of the
 * same owner holds the claim) leaves everything as it is: the replacement
 * serves what it needs, and its run applied retention with the current
 * settings. A destroy (this instance still holds the claim) releases it
 * and removes what this owner loaded that no other holder holds, and the
 * stable and control schemas when no holder is left. The backups stay:
 * after a destroy they are the last copy of what it dropped (`prune`
 * removes them when nobody needs them).
 */
export async function releaseHolder(
  client: ClientBase,
  holder: { readonly prefix: string; readonly schema: string; readonly owner: string; readonly instance: string | undefined },
): Promise<void> {
  const { prefix, owner } = holder;
  await withPrefixLock(client, prefix, {}, async () => {
    const claims = await readClaims(client, prefix);
    if (!stillHolds(claims.get(owner), holder.schema, holder.instance)) return;
    await releaseClaim(client, prefix, owner);
    const others = [...claims.keys()].filter((o) => o !== owner);
    if (others.length === 0) await dropStableAndControl(client, prefix);
    // With other holders left the stable schema stays, and so does the version it serves,
    // whoever loaded it: readers use it. Retention takes it once another is active.
    const keep = new Set([
      ...others.map((o) => claims.get(o)!.schema),
      ...(others.length > 0 ? [await activeVersion(client, prefix)] : []),
    ]);
    for (const version of await listVersions(client, prefix)) {
      const mine = version.loadedBy === owner || version.schema === holder.schema;
      if (mine && !keep.has(version.schema)) await dropVersion(client, prefix, version.schema);
    }
  });
}

/**
 * Whether the claim is still this holder's. Holders created before
 * instances were recorded have none: theirs is the claim of the same
 * schema with no instance, and a claim with an instance is a replacement's.
 */
function stillHolds(claim: Claim | undefined, schema: string, instance: string | undefined): boolean {
  if (claim === undefined) return false;
  return instance ? claim.instance === instance : claim.instance === "" && claim.schema === schema;
}

/** The stable views, the control schema and a staging schema a stopped load left, once no holder is left. */
async function dropStableAndControl(client: ClientBase, prefix: string): Promise<void> {
  await dropStaging(client, prefix);
  if ((await stableState(client, prefix)) !== null)
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(stableSchemaName(prefix))} CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(controlSchemaName(prefix))} CASCADE`);
}
