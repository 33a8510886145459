/**
 * Versioned schemas: names, metadata, the prefix lock and retention, judged
 * by what pg_namespace, schema comments and pg_locks hold afterwards.
 */
import { Client } from "pg";
import { LockTimeoutError, MigrationError, OptionError } from "../../engine/errors";
import {
  allocateVersionName,
  collectGarbage,
  controlSchemaName,
  dropVersion,
  findReusableVersion,
  garbageVersions,
  listVersions,
  MAX_PREFIX_BYTES,
  readVersionMetadata,
  stableState,
  switchTo,
  validatePrefix,
  VersionMetadata,
  versionSchemaName,
  versionTimestamp,
  withPrefixLock,
  writeVersionMetadata,
} from "../../engine/versions";
import { useTestDatabase } from "../support/database";
import { createForeignStatusSchema, createTestVersion } from "../support/versions";

const clients: Client[] = [];
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});
const database = useTestDatabase("versions");
let client: Client;

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: database.url });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  client = await connect();
});

async function schemasLike(pattern: string): Promise<string[]> {
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname`, [
    pattern,
  ]);
  return rows.map((r) => r.nspname);
}

async function version(prefix: string, at: string, digest = "digest-a", fingerprint = "options-a"): Promise<string> {
  const meta = await createTestVersion(client, {
    prefix,
    sourceDigest: digest,
    optionsFingerprint: fingerprint,
    now: new Date(at),
    loadedBy: "test",
  });
  await client.query(`CREATE TABLE "${meta.schema}"."tickets" ("id" int PRIMARY KEY)`);
  return meta.schema;
}

async function advisoryLocks(): Promise<number> {
  // pg_locks spans the cluster: other test files run in parallel in other databases.
  const { rows } = await client.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows.length;
}

describe("naming", () => {
  it("formats <prefix>_vYYYYMMDD_HHMMSS in UTC", () => {
    expect(versionSchemaName("servicedesk", new Date("2025-03-01T14:15:03.999Z"))).toBe("servicedesk_v20250301_141503");
    expect(versionSchemaName("servicedesk", new Date("2025-03-01T23:30:00-05:00"))).toBe("servicedesk_v20250302_043000");
    expect(versionTimestamp("servicedesk", "servicedesk_v20250302_043000")).toEqual(new Date("2025-03-02T04:30:00Z"));
    expect(versionTimestamp("servicedesk", "servicedesk_v2_v20250302_043000")).toBeNull();
  });

  it.each(["Servicedesk", "9desk", "service-desk", "", "a".repeat(MAX_PREFIX_BYTES + 1), "servicé"])(
    "rejects the prefix %j with OptionError(schemaPrefix)",
    (prefix) => {
      expect(() => validatePrefix(prefix)).toThrow(OptionError);
      expect(() => validatePrefix(prefix)).toThrow(/^schemaPrefix: /);
    },
  );

  it("accepts the longest prefix whose schemas all fit in 63 bytes", () => {
    const prefix = "p".repeat(MAX_PREFIX_BYTES);
    expect(() => validatePrefix(prefix)).not.toThrow();
    expect(Buffer.byteLength(versionSchemaName(prefix, new Date()))).toBe(63);
    expect(Buffer.byteLength(controlSchemaName(prefix))).toBeLessThanOrEqual(63);
  });

  it("allocates the next free second when the name is taken, by ours or by anyone", async () => {
    const now = new Date("2025-04-01T08:00:00.250Z");
    const first = await allocateVersionName(client, "alloc", now);
    expect(first).toBe("alloc_v20250401_080000");
    await client.query(`CREATE SCHEMA "${first}"`);
    const second = await allocateVersionName(client, "alloc", now);
    expect(second).toBe("alloc_v20250401_080001");
    await client.query(`CREATE SCHEMA "${second}"`);
    expect(await allocateVersionName(client, "alloc", now)).toBe("alloc_v20250401_080002");
  });

  it("gives two loads in the same second sortable, distinct schemas", async () => {
    const at = "2025-04-02T09:00:00Z";
    const a = await createTestVersion(client, { prefix: "twice", now: new Date(at) });
    const b = await createTestVersion(client, { prefix: "twice", now: new Date(at) });
    expect([a.schema, b.schema]).toEqual(["twice_v20250402_090000", "twice_v20250402_090001"]);
    expect(await schemasLike("twice_v%")).toEqual([a.schema, b.schema]);
  });
});

describe("metadata", () => {
  it("round-trips through COMMENT ON SCHEMA", async () => {
    const created = await createTestVersion(client, {
      prefix: "meta",
      sourceDigest: "a".repeat(64),
      optionsFingerprint: "b".repeat(64),
      loadedBy: "pulumi:stack-dev",
      now: new Date("2025-05-01T00:00:00Z"),
    });
    expect(created).toMatchObject({ status: "ready", schema: "meta_v20250501_000000", createdAt: "2025-05-01T00:00:00.000Z" });
    const ready: VersionMetadata = {
      ...created,
      tables: { tickets: { rows: 10, rejects: 1 } },
      replaced: { schema: "meta_v20250401_000000", backupFile: null },
    };
    await writeVersionMetadata(client, ready);
    expect(await readVersionMetadata(client, created.schema)).toEqual(ready);
    const { rows } = await client.query(`SELECT obj_description($1::regnamespace, 'pg_namespace') AS c`, [created.schema]);
    expect(JSON.parse(rows[0].c)).toEqual(ready);
  });

  it("ignores schemas whose comment is not ours, and refuses to relabel them", async () => {
    await client.query(`CREATE SCHEMA "meta_v20250502_000000"`);
    await client.query(`COMMENT ON SCHEMA "meta_v20250502_000000" IS 'hand-made copy'`);
    await client.query(`CREATE SCHEMA "meta_v20250503_000000"`);
    await client.query(`COMMENT ON SCHEMA "meta_v20250503_000000" IS '{"tool":"other","schema":"meta_v20250503_000000"}'`);
    await client.query(`CREATE SCHEMA "meta_v20250504_000000"`);

    expect(await readVersionMetadata(client, "meta_v20250502_000000")).toBeNull();
    expect(await readVersionMetadata(client, "meta_v20250503_000000")).toBeNull();
    expect((await listVersions(client, "meta")).map((v) => v.schema)).toEqual(["meta_v20250501_000000"]);
    const foreign = { ...(await readVersionMetadata(client, "meta_v20250501_000000"))!, schema: "meta_v20250502_000000" };
    await expect(writeVersionMetadata(client, foreign)).rejects.toMatchObject({ code: "SCHEMA_CONFLICT" });
    const { rows } = await client.query(`SELECT obj_description('meta_v20250502_000000'::regnamespace, 'pg_namespace') AS c`);
    expect(rows[0].c).toBe("hand-made copy");
  });

  it("refuses metadata that names another schema than its own", async () => {
    const meta = (await readVersionMetadata(client, "meta_v20250501_000000"))!;
    await expect(writeVersionMetadata(client, { ...meta, schema: "public" })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("lists versions oldest first, whatever the creation order; a comment with another status is not a version", async () => {
    await version("order", "2025-06-03T00:00:00Z");
    await version("order", "2025-06-01T00:00:00Z");
    await createForeignStatusSchema(client, "order", new Date("2025-06-02T00:00:00Z"), "loading");
    const listed = await listVersions(client, "order");
    expect(listed.map((v) => v.schema)).toEqual(["order_v20250601_000000", "order_v20250603_000000"]);
  });

  it("has no stable state before the first switch", async () => {
    expect(await stableState(client, "order")).toBeNull();
  });
});

describe("prefix lock", () => {
  it("makes a second client time out with LockTimeoutError naming the prefix and the holder", async () => {
    const holder = await connect();
    const waiter = await connect();
    const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    let release!: () => void;
    const held = withPrefixLock(holder, "locked", {}, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    const error = await withPrefixLock(waiter, "locked", { timeoutMs: 600 }, async () => "ran").catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ code: "LOCK_TIMEOUT", prefix: "locked", holderPid });
    expect((error as Error).message).toContain('"locked"');
    expect((error as Error).message).toContain(String(holderPid));

    release();
    await held;
    await expect(withPrefixLock(waiter, "locked", { timeoutMs: 600 }, async () => "ran")).resolves.toBe("ran");
    expect(await advisoryLocks()).toBe(0);
  });

  it("does not block another prefix", async () => {
    const other = await connect();
    await withPrefixLock(client, "first", {}, async () => {
      await expect(withPrefixLock(other, "second", { timeoutMs: 200 }, async () => 1)).resolves.toBe(1);
    });
  });

  it("is released when fn throws, even from a failed transaction", async () => {
    await expect(
      withPrefixLock(client, "thrown", {}, async () => {
        await client.query("BEGIN");
        await client.query("SELECT 1 / 0");
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await advisoryLocks()).toBe(0);
    const other = await connect();
    await expect(withPrefixLock(other, "thrown", { timeoutMs: 200 }, async () => "free")).resolves.toBe("free");
  });

  it("is re-entrant within a session", async () => {
    const inner = await withPrefixLock(client, "nested", { timeoutMs: 200 }, () =>
      withPrefixLock(client, "nested", { timeoutMs: 200 }, async () => "inner"),
    );
    expect(inner).toBe("inner");
    expect(await advisoryLocks()).toBe(0);
  });
});

describe("retention", () => {
  it("keeps the newest `retain` versions and never the active; schemas that are not ours stay", async () => {
    const foreign = await createForeignStatusSchema(client, "ret", new Date("2025-07-01T00:00:00Z"), "failed");
    const [v1, v2, v3, v4] = [
      await version("ret", "2025-07-02T00:00:00Z"),
      await version("ret", "2025-07-03T00:00:00Z"),
      await version("ret", "2025-07-04T00:00:00Z"),
      await version("ret", "2025-07-05T00:00:00Z"),
    ];
    await client.query(`CREATE SCHEMA "ret_v20250707_000000"`); // shaped like a version, but not ours
    await switchTo(client, "ret", v3);
    await switchTo(client, "ret", v4);

    expect(await collectGarbage(client, "ret", { retain: 2 })).toEqual([v1, v2]);
    expect(await schemasLike("ret_v%")).toEqual([foreign, v3, v4, "ret_v20250707_000000"]);
    expect(await collectGarbage(client, "ret", { retain: 1 })).toEqual([v3]);
    expect(await schemasLike("ret_v%")).toEqual([foreign, v4, "ret_v20250707_000000"]);
    expect((await client.query(`SELECT count(*) FROM "ret"."tickets"`)).rows[0].count).toBe("0");
    expect(await advisoryLocks()).toBe(0);
  });

  it("keeps an older active version besides the newest ones", async () => {
    const [v1, v2, v3] = [
      await version("back", "2025-08-01T00:00:00Z"),
      await version("back", "2025-08-02T00:00:00Z"),
      await version("back", "2025-08-03T00:00:00Z"),
    ];
    await switchTo(client, "back", v3);
    await switchTo(client, "back", v1); // a rollback past v2
    const skipped: string[] = [];
    expect(await collectGarbage(client, "back", { retain: 1, onSkip: (s) => skipped.push(s) })).toEqual([v2]);
    expect(await schemasLike("back_v%")).toEqual([v1, v3]);
    expect(skipped).toEqual([]);
  });

  it("leaves versions in `keep`, in use, or referenced from elsewhere", async () => {
    const [kept, busy, referenced, newest] = [
      await version("skip", "2025-09-01T00:00:00Z"),
      await version("skip", "2025-09-02T00:00:00Z"),
      await version("skip", "2025-09-03T00:00:00Z"),
      await version("skip", "2025-09-04T00:00:00Z"),
    ];
    await client.query(`CREATE VIEW "public"."report" AS SELECT * FROM "${referenced}"."tickets"`);
    const reader = await connect();
    await reader.query(`BEGIN; LOCK TABLE "${busy}"."tickets" IN ACCESS SHARE MODE`);
    const skipped: Record<string, string> = {};
    const dropped = await collectGarbage(client, "skip", { retain: 1, keep: [kept], onSkip: (s, why) => (skipped[s] = why) });
    await reader.query("ROLLBACK");
    expect(dropped).toEqual([]);
    expect(await schemasLike("skip_v%")).toEqual([kept, busy, referenced, newest]);
    expect(skipped[busy]).toMatch(/in use/);
    expect(skipped[referenced]).toContain("view public.report");
    await client.query(`DROP VIEW "public"."report"`);
  });

  it("dropVersion refuses the active version and drops another", async () => {
    const [a, b] = [await version("drop", "2025-10-01T00:00:00Z"), await version("drop", "2025-10-02T00:00:00Z")];
    await switchTo(client, "drop", b);
    const error = await dropVersion(client, "drop", b).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: "SCHEMA_CONFLICT" });
    expect((error as Error).message).toContain(b);
    await expect(dropVersion(client, "drop", "public")).rejects.toMatchObject({ code: "VERSION_NOT_FOUND" });
    await dropVersion(client, "drop", a);
    expect(await schemasLike("drop_v%")).toEqual([b]);
  });

  it("finds the newest ready version with the same source and options", async () => {
    const older = await version("reuse", "2025-11-01T00:00:00Z", "src-1", "opt-1");
    const newer = await version("reuse", "2025-11-02T00:00:00Z", "src-1", "opt-1");
    await createForeignStatusSchema(client, "reuse", new Date("2025-11-03T00:00:00Z"), "failed");
    await version("reuse", "2025-11-04T00:00:00Z", "src-1", "opt-2");
    expect((await findReusableVersion(client, "reuse", "src-1", "opt-1"))?.schema).toBe(newer);
    await dropVersion(client, "reuse", newer);
    expect((await findReusableVersion(client, "reuse", "src-1", "opt-1"))?.schema).toBe(older);
    expect(await findReusableVersion(client, "reuse", "src-2", "opt-1")).toBeNull();
  });

  it("rejects a retain below 1", async () => {
    await expect(collectGarbage(client, "ret", { retain: 0 })).rejects.toThrow(/^retain: /);
  });

  it("garbageVersions applies the rules to a list", () => {
    const list = ["a", "b", "c", "d", "e"].map((schema) => ({ schema, status: "ready" }) as VersionMetadata);
    expect(garbageVersions(list, "e", 1)).toEqual(["a", "b", "c", "d"]);
    expect(garbageVersions(list, "a", 2)).toEqual(["b", "c"]);
    expect(garbageVersions(list, "c", 1, ["d"])).toEqual(["a", "b"]);
  });
});
