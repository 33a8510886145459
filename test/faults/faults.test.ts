/**
 * Faults during `pulumi up`, at each phase (gate, canary, backup, load,
 * index build, validation, cutover): the provider process SIGKILLed, the
 * server session terminated, the server restarted. After each: the stable
 * schema and the previous version answer queries, no partial version is
 * visible, and the documented recovery (refresh --clear-pending-creates,
 * then up) loads the export with exact counts.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { queryRows } from "../support/database";
import { startPrivateServer, PrivateServer } from "../support/private-server";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";
import { FaultKind, holdView, injector, PHASES, upWithFault } from "./fault-harness";

/** sha256 of an export (no WAL: generated exports are in rollback-journal mode). */
const sourceDigestOf = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

const PREFIX = "sdfault";
const DATABASE = "faults";
const TICKETS = 12_000;
const KINDS: FaultKind[] = ["kill-provider", "terminate-session", "restart-server"];

/**
 * What each fault must do to the up. The gate converts values without a
 * database session: a killed provider stops it, a restarted server is met
 * only by the phases after it (the up succeeds), and there is no session to
 * terminate, so that pair is not a case at all. At cutover a reader holds
 * the switch until the fault is in (see holdView), but a restarted server
 * ends that reader too, and the switch may commit before the run learns of
 * the restart: there either outcome is right.
 */
function expectedOutcome(kind: FaultKind, phase: string): "fails" | "succeeds" | "either" {
  if (phase === "cutover") return kind === "restart-server" ? "either" : "fails";
  if (phase === "gate") return kind === "kill-provider" ? "fails" : "succeeds";
  return "fails";
}

/** The pairs that exist: a fault needs something to hit. */
const CASES = KINDS.flatMap((kind) =>
  Object.entries(PHASES)
    .filter(([phase]) => !(kind === "terminate-session" && phase === "gate"))
    .map(([phase, marker]) => ({ kind, phase, marker })),
);

interface VersionInfo {
  schema: string;
  status: string;
  sourceDigest: string;
  tables: Record<string, { rows: number }>;
}

describe("faults during pulumi up", () => {
  let server: PrivateServer;
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let backups: string;
  let stack: Stack;
  let seed = 100;
  const url = () => server.url(DATABASE);
  const nextSource = () => sources.make(`export-${++seed}.sqlite`, { tickets: TICKETS, seed });

  async function versions(): Promise<VersionInfo[]> {
    const rows = await queryRows<{ nspname: string; comment: string | null }>(
      url(),
      "SELECT nspname, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1",
      [`${PREFIX}_v%`],
    );
    return rows.map((r) => ({ schema: r.nspname, ...JSON.parse(r.comment ?? "{}") }));
  }

  async function active(): Promise<string> {
    const [{ c }] = await queryRows<{ c: string }>(url(), "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [PREFIX]);
    return JSON.parse(c).active;
  }

  /** What must hold after any fault: complete versions only, and a stable schema that answers. */
  async function assertConsistent(): Promise<void> {
    const all = await versions();
    expect(all.length).toBeGreaterThan(0);
    for (const version of all) {
      expect(version.status).toBe("ready");
      for (const [table, meta] of Object.entries(version.tables)) {
        const [{ n }] = await queryRows<{ n: string }>(url(), `SELECT count(*) AS n FROM "${version.schema}"."${table}"`);
        expect(Number(n)).toBe(meta.rows);
      }
    }
    const activeSchema = await active();
    const activeVersion = all.find((v) => v.schema === activeSchema);
    expect(activeVersion).toBeDefined();
    const [{ n }] = await queryRows<{ n: string }>(url(), `SELECT count(*) AS n FROM ${PREFIX}.tickets`);
    expect(Number(n)).toBe(activeVersion!.tables.tickets.rows);
    const canary = await queryRows(url(), "SELECT 1 FROM pg_namespace WHERE nspname = $1", [`${PREFIX}_canary`]);
    expect(canary).toEqual([]);
  }

  async function recoverAndLoad(expectedTickets: number): Promise<void> {
    await stack.refresh({ clearPendingCreates: true });
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const schema = await active();
    const [{ n }] = await queryRows<{ n: string }>(url(), `SELECT count(*) AS n FROM "${schema}".tickets`);
    expect(Number(n)).toBe(expectedTickets);
    expect((await stack.outputs()).schemaName.value).toBe(schema);
    const folder = path.join(backups, PREFIX); // absent until a run had a version to back up
    expect(existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(".partial")) : []).toEqual([]);
    await assertConsistent();
  }

  beforeAll(async () => {
    server = await startPrivateServer();
    server.createDatabase(DATABASE);
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    backups = mkdtempSync(path.join(tmpdir(), "sdm-backups-"));
    stack = await stackOf(sandbox, project.dir, "faults");
    await stack.setAllConfig({
      source: { value: nextSource().path },
      connection: { value: url(), secret: true },
      schemaPrefix: { value: PREFIX },
      backupDirectory: { value: backups },
    });
    expect((await stack.up()).summary.result).toBe("succeeded");
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("faults", { force: true }).catch(() => undefined);
    server?.stop();
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    if (backups && existsSync(backups)) rmSync(backups, { recursive: true, force: true });
  });

  /** The version holding `digest`, if a run loaded it. */
  async function versionOf(digest: string): Promise<string | null> {
    return (await versions()).find((v) => v.sourceDigest === digest)?.schema ?? null;
  }

  test.each(CASES)("$kind during $phase: nothing partial is visible, and the recovery loads exactly", async ({ kind, phase, marker }) => {
    const before = await active();
    const source = nextSource();
    await stack.setConfig("source", { value: source.path });
    const inject = injector(kind, { backendUrl: sandbox.env.PULUMI_BACKEND_URL, server, database: DATABASE });
    // At cutover the fault must find the switch running: a reader of the stable tickets view holds it until the fault is in.
    const held = phase === "cutover" && kind !== "restart-server" ? await holdView(url(), PREFIX, "tickets") : null;
    const run = await upWithFault(stack, marker, () => {
      const injected = inject();
      void held?.release();
      return injected;
    });
    await held?.release();
    // The fault hit something: a provider process, a live session, the server.
    expect(run.injected).toMatch(
      kind === "kill-provider"
        ? /^killed provider process\(es\) \d+/
        : kind === "terminate-session"
          ? /^terminated [1-9]\d* session\(s\)$/
          : /^restarted the server$/,
    );
    const outcome = expectedOutcome(kind, phase);
    if (outcome === "fails") expect(run.error).not.toBeNull();
    if (outcome === "succeeds") expect(run.error).toBeNull();
    await assertConsistent();
    const after = await active();
    if (run.error) {
      // A failed run switched nothing, unless a restart landed once the switch had committed (cutover).
      const loaded = await versionOf(sourceDigestOf(source.path));
      const mayHaveSwitched = expectedOutcome(kind, phase) === "either";
      expect({ phase, after }).toEqual({ phase, after: mayHaveSwitched && after === loaded ? loaded : before });
    }
    await recoverAndLoad(source.rows.tickets);
  });
});
