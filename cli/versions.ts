/** The commands on a prefix's versions: list them, cut over, roll back (under the prefix lock). */
import { MigrationError, versions, withClient } from "../engine";
import { targetDatabaseUrl } from "./database";
import { lockTimeoutMs } from "./options";
import { print } from "./output";

export interface TargetFlags {
  databaseUrl?: string;
  schemaPrefix: string;
  lockTimeout?: string;
  json: boolean;
}

export async function runVersions(flags: TargetFlags): Promise<void> {
  await withClient(targetDatabaseUrl(flags.databaseUrl), async (client) => {
    const list = await versions.listVersions(client, flags.schemaPrefix);
    const state = await versions.stableState(client, flags.schemaPrefix);
    const lines = list.map(
      (v) =>
        `${v.schema === state?.active ? "*" : v.schema === state?.previous ? "p" : " "} ${v.schema}  ${v.status}  ${v.createdAt}  ${Object.entries(
          v.tables,
        )
          .map(([t, x]) => `${t}=${x.rows}`)
          .join(" ")}`,
    );
    print(
      flags,
      { active: state?.active ?? null, previous: state?.previous ?? null, versions: list },
      lines.length ? lines : ["no versions"],
    );
  });
}

/** cutover and rollback, under the prefix lock: a running load is waited for, up to --lock-timeout. */
export async function runSwitch(flags: TargetFlags & { to?: string }, rollback: boolean): Promise<void> {
  await withClient(targetDatabaseUrl(flags.databaseUrl), (client) =>
    versions.withPrefixLock(client, flags.schemaPrefix, { timeoutMs: lockTimeoutMs(flags) }, async () => {
      const state = await versions.stableState(client, flags.schemaPrefix);
      const target = rollback ? state?.previous : flags.to;
      if (!target) throw new MigrationError("VERSION_NOT_FOUND", `no previous version of prefix "${flags.schemaPrefix}" to roll back to`);
      const result = await versions.switchTo(client, flags.schemaPrefix, target);
      print(flags, result, [`${flags.schemaPrefix} now points at ${result.active} (was ${result.previous ?? "nothing"})`]);
    }),
  );
}
