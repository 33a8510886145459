/**
 * The real system a lifecycle walk drives: a fresh database, a private
 * Pulumi backend, the project's stacks ("one", and "two" once it joins),
 * the exports A, B and C, and a reader that queries every served stable
 * schema the whole time, so a gap between two steps is seen too. The
 * facts the invariants read come from PostgreSQL itself.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase, queryRows, TestDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";

export type StackName = "one" | "two";
export type ExportName = "A" | "B" | "C";

export interface WalkSystem {
  readonly database: TestDatabase;
  readonly exports: Readonly<Record<ExportName, string>>;
  readonly stacks: Partial<Record<StackName, Stack>>;
  readonly reader: StableReader;
  /** Steps walked on this system (each followed by an invariant check), by name. */
  readonly walked: string[];
  openStack(name: StackName, config: Record<string, string | null>): Promise<Stack>;
  /** Sets each key (a path for structured ones); removes those given as null, leaving them to their defaults. */
  applyConfig(name: StackName, config: Record<string, string | null>): Promise<void>;
  psql(command: string): { ok: boolean; output: string };
  close(): Promise<void>;
}

export async function openWalkSystem(exports: Record<ExportName, string>): Promise<WalkSystem> {
  const database = await createTestDatabase("walk");
  const sandbox: PulumiSandbox = await createPulumiSandbox();
  const project: ScratchProject = scratchProject();
  const backups = mkdtempSync(path.join(tmpdir(), "sdm-walk-backups-"));
  const stacks: Partial<Record<StackName, Stack>> = {};
  const reader = new StableReader(database.url);
  const system: WalkSystem = {
    database,
    exports,
    stacks,
    reader,
    walked: [],
    async openStack(name, config) {
      const stack = await stackOf(sandbox, project.dir, name);
      await stack.setAllConfig({ connection: { value: database.url, secret: true }, backupDirectory: { value: path.join(backups, name) } });
      stacks[name] = stack;
      await system.applyConfig(name, config);
      return stack;
    },
    async applyConfig(name, config) {
      const stack = stacks[name]!;
      for (const [key, value] of Object.entries(config)) {
        const path = /[.[]/.test(key);
        if (value !== null) await stack.setConfig(key, { value }, path);
        else await stack.removeConfig(path ? key.split(/[.[]/)[0] : key, false).catch(() => undefined);
      }
    },
    psql(command) {
      try {
        const output = execFileSync("bash", ["-c", command], {
          env: { ...process.env, DATABASE_URL: database.url },
          encoding: "utf8",
          stdio: "pipe",
        });
        return { ok: true, output };
      } catch (error) {
        return { ok: false, output: String((error as { stderr?: string }).stderr ?? error) };
      }
    },
    async close() {
      await reader.stop();
      sandbox.cleanup();
      project.cleanup();
      rmSync(backups, { recursive: true, force: true });
      await dropTestDatabase(database);
    },
  };
  return system;
}

/**
 * Reads `<prefix>.tickets` of every prefix it is told must stay served, in
 * a loop, and records each failure: a stable schema missing or broken, even
 * for a moment, is a reader's outage.
 */
export class StableReader {
  private served: string[] = [];
  private failures: string[] = [];
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly url: string) {}

  /** From now on these prefixes must answer; returns what failed since the last call. */
  watch(prefixes: readonly string[]): string[] {
    this.served = [...prefixes];
    const seen = this.failures;
    this.failures = [];
    this.running ??= this.loop();
    return seen;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: "walk-reader" });
    await client.connect();
    try {
      while (!this.stopping) {
        for (const prefix of this.served) {
          try {
            await client.query(`SELECT count(*) FROM "${prefix}".tickets`);
          } catch (error) {
            this.failures.push(`${prefix}.tickets: ${(error as Error).message}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await client.end();
    }
  }
}

/** Facts of one prefix, from PostgreSQL. */
export interface PrefixFacts {
  readonly schemas: string[];
  readonly active: string | null;
  readonly claims: Record<string, string>;
  /** version -> table -> rows */
  readonly versions: Record<string, Record<string, number>>;
}

export async function prefixFacts(url: string, prefix: string): Promise<PrefixFacts> {
  const schemas = await queryRows<{ nspname: string; comment: string | null }>(
    url,
    "SELECT nspname, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_') ORDER BY 1",
    [prefix],
  );
  const stable = schemas.find((s) => s.nspname === prefix);
  const active = stable?.comment ? (JSON.parse(stable.comment).active as string | null) : null;
  const claims: Record<string, string> = {};
  if (schemas.some((s) => s.nspname === `${prefix}_control`)) {
    const table = await queryRows<{ present: boolean }>(url, "SELECT to_regclass($1) IS NOT NULL AS present", [
      `"${prefix}_control".claims`,
    ]);
    if (table[0].present) {
      for (const row of await queryRows<{ owner: string; schema_name: string }>(
        url,
        `SELECT owner, schema_name FROM "${prefix}_control".claims`,
      ))
        claims[row.owner] = row.schema_name;
    }
  }
  const versions: Record<string, Record<string, number>> = {};
  for (const s of schemas.filter((x) => /_v\d{8}_\d{6}$/.test(x.nspname))) {
    const tables = JSON.parse(s.comment ?? "{}").tables as Record<string, unknown> | undefined;
    versions[s.nspname] = {};
    for (const table of Object.keys(tables ?? {})) {
      versions[s.nspname][table] = Number(
        (await queryRows<{ n: string }>(url, `SELECT count(*) AS n FROM "${s.nspname}"."${table}"`))[0].n,
      );
    }
  }
  return { schemas: schemas.map((s) => s.nspname), active, claims, versions };
}
