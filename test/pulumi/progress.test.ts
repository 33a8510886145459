/**
 * Progress reaches the Pulumi engine: the provider process logs each phase
 * (and rows done of rows total) through the engine's Log RPC, and the
 * Automation API's event stream carries the messages.
 */
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

function diagnostics(events: EngineEvent[]): string[] {
  return events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message.trim()] : []));
}

describe("progress in Pulumi's event stream", () => {
  const database = useTestDatabase("progress");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let backups: string;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    backups = mkdtempSync(path.join(tmpdir(), "sdm-backups-"));
    stack = await stackOf(sandbox, project.dir, "progress");
    await stack.setAllConfig({
      source: { value: sources.make("first.sqlite", { tickets: 3000, seed: 11 }).path },
      connection: { value: withDatabase(database.url, database.db.name), secret: true },
      schemaPrefix: { value: "sdprogress" },
      backupDirectory: { value: backups },
    });
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack("progress", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    rmSync(backups, { recursive: true, force: true });
  });

  test("preview reports the gate measuring each table", async () => {
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (e) => events.push(e) });
    const messages = diagnostics(events);
    for (const table of ["tickets", "comments", "timesheets"]) {
      expect(messages).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^servicedesk-migration \\[gate\\] ${table}: \\d[\\d,]*/[\\d,]+ rows`))]),
      );
    }
  });

  test("up reports every phase, with rows done of rows total while loading", async () => {
    await stack.up();
    await stack.setConfig("source", { value: sources.make("second.sqlite", { tickets: 3000, seed: 12 }).path });
    const events: EngineEvent[] = [];
    await stack.up({ onEvent: (e) => events.push(e) });
    const messages = diagnostics(events);
    const phases = new Set(messages.map((m) => /^servicedesk-migration \[(\w+)\]/.exec(m)?.[1]).filter(Boolean));
    expect([...phases].sort()).toEqual(
      expect.arrayContaining(["backup", "canary", "cutover", "indexes", "inspect", "keys", "load", "validation"]),
    );
    for (const table of ["tickets", "comments", "timesheets"]) {
      expect(messages).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^servicedesk-migration \\[load\\] ${table}: [\\d,]+/[\\d,]+ rows$`))]),
      );
    }
    expect(messages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^servicedesk-migration: loaded sdprogress_v\d{8}_\d{6}; report .*\.md$/)]),
    );
  });
});
