/**
 * Fault injection around one `pulumi up`: the up runs through the Automation
 * API, and when a progress message of the chosen phase arrives, the fault
 * is injected once. Faults: the dynamic provider's process killed with
 * SIGKILL, the migration's server session terminated, the server restarted.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { quoteIdent } from "../../engine/sql/identifiers";
import { PrivateServer } from "../support/private-server";

export type FaultKind = "kill-provider" | "terminate-session" | "restart-server";

/** The phase markers: a progress message that shows the phase is running. */
export const PHASES: Readonly<Record<string, RegExp>> = {
  gate: /^servicedesk-migration \[gate\] comments:/,
  canary: /^servicedesk-migration \[canary\] comments:/,
  backup: /^servicedesk-migration \[backup\]: backing up/,
  load: /^servicedesk-migration \[load\] comments:/,
  indexes: /^servicedesk-migration \[indexes\]/,
  validation: /^servicedesk-migration \[validation\] tickets/,
  cutover: /^servicedesk-migration \[cutover\]/,
};

/**
 * Processes running @pulumi/pulumi's dynamic provider for this test's
 * stack: told apart from other tests' by the backend in their environment
 * (their working folder, the linked dist/, is shared).
 */
export function providerProcesses(backendUrl: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes("cmd/dynamic-provider")) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`PULUMI_BACKEND_URL=${backendUrl}`)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export function injector(kind: FaultKind, context: { backendUrl: string; server: PrivateServer; database: string }): () => string {
  return () => {
    switch (kind) {
      case "kill-provider": {
        const pids = providerProcesses(context.backendUrl);
        for (const pid of pids) process.kill(pid, "SIGKILL");
        return `killed provider process(es) ${pids.join(", ") || "(none running)"}`;
      }
      case "terminate-session": {
        const out = execFileSync(
          "psql",
          [
            context.server.url(context.database),
            "-Atc",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'servicedesk-migration' AND pid <> pg_backend_pid()",
          ],
          { encoding: "utf8" },
        );
        return `terminated ${out.trim()} session(s)`;
      }
      case "restart-server":
        context.server.restart();
        return "restarted the server";
    }
  };
}

export interface FaultedUp {
  readonly injected: string | null;
  readonly error: Error | null;
}

/** Runs `up`, injecting the fault at the first message of the phase. */
export async function upWithFault(stack: Stack, phase: RegExp, inject: () => string): Promise<FaultedUp> {
  let injected: string | null = null;
  const onEvent = (event: EngineEvent) => {
    const message = event.diagnosticEvent?.message.trim();
    if (injected === null && message && phase.test(message)) injected = inject();
  };
  try {
    await stack.up({ onEvent });
    return { injected, error: null };
  } catch (error) {
    return { injected, error: error as Error };
  }
}

export interface HeldView {
  /** Ends the reader's transaction; the same promise on every call. */
  release(): Promise<void>;
}

/**
 * A reader holding ACCESS SHARE on a stable view in an open transaction.
 * The cutover's switch must lock every stable view ACCESS EXCLUSIVE, so it
 * waits behind this reader: a fault injected at the cutover's message then
 * lands while the switch is under way, not after a switch that took a few
 * milliseconds and was over before Pulumi relayed the message.
 */
export async function holdView(databaseUrl: string, schema: string, view: string): Promise<HeldView> {
  const client = new Client({ connectionString: databaseUrl, application_name: "fault-harness" });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`LOCK TABLE ${quoteIdent(schema)}.${quoteIdent(view)} IN ACCESS SHARE MODE`);
  let released: Promise<void> | null = null;
  return {
    release() {
      if (released === null) {
        released = client.query("ROLLBACK").then(() => client.end());
        // Awaited by the test after the up; this keeps an early failure from being reported as unhandled first.
        released.catch(() => undefined);
      }
      return released;
    },
  };
}
