/**
 * The package as users get it: `npm pack`, the tarball installed into
 * Pulumi projects outside this repository (one in plain JavaScript inside
 * an npm workspace, one in TypeScript on its own, compiled against the
 * package's declarations), then preview, up, a replacing change and
 * destroy through the real Pulumi CLI; the preview shows the schema plan
 * and the gate's verdict as this repository's own stack does; the CLI runs
 * from the installed package's bin.
 *
 * Installs run from npm's cache without install scripts, and the native
 * SQLite addon this repository compiled is copied in: the test is about
 * this package, not about compiling better-sqlite3 twice more.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { queryRows, useTestDatabase } from "../support/database";
import { createPulumiSandbox, PROJECT_ROOT, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

const database = useTestDatabase("package");
const PULUMI_VERSION: string = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
).version;
let scratch: string;
let tarball: string;
let packed: { size: number; files: string[] };
let sandbox: PulumiSandbox;
let sources: SourceFolder;

const write = (file: string, text: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const npm = (cwd: string, ...args: string[]) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** npm install from the cache, then the addon this repository built for this Node.js. */
function install(root: string): void {
  npm(root, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline");
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  mkdirSync(path.dirname(path.join(root, addon)), { recursive: true });
  copyFileSync(path.join(PROJECT_ROOT, addon), path.join(root, addon));
}

const PROGRAM_JS = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { ServicedeskDatabase } = require("servicedesk-migration");

const config = new pulumi.Config();
const database = new ServicedeskDatabase("servicedesk", {
  source: config.require("source"),
  connection: config.requireSecret("connection"),
  migration: { schemaPrefix: config.require("schemaPrefix"), backupDirectory: config.require("backupDirectory") },
});
exports.schemaName = database.migration.schemaName;
exports.rowCounts = database.migration.rowCounts;
exports.cutoverCommand = database.migration.cutoverCommand;
`;

const PROGRAM_TS = `import * as pulumi from "@pulumi/pulumi";
import { ServicedeskDatabase, ServicedeskDatabaseArgs } from "servicedesk-migration";

const config = new pulumi.Config();
const args: ServicedeskDatabaseArgs = {
  source: config.require("source"),
  connection: config.requireSecret("connection"),
  migration: { schemaPrefix: config.require("schemaPrefix"), backupDirectory: config.require("backupDirectory"), mode: "complete" },
};
const database = new ServicedeskDatabase("servicedesk", args);
export const schemaName: pulumi.Output<string> = database.migration.schemaName;
export const rowCounts = database.migration.rowCounts;
export const cutoverCommand = database.migration.cutoverCommand;
`;

function pulumiYaml(name: string, main: string): string {
  return `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: ${main}\n`;
}

function consumerPackage(name: string, extra: Record<string, string> = {}): string {
  return JSON.stringify(
    { name, private: true, dependencies: { "servicedesk-migration": `file:${tarball}`, "@pulumi/pulumi": PULUMI_VERSION, ...extra } },
    null,
    2,
  );
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "sdm-package-"));
  const [result] = JSON.parse(npm(PROJECT_ROOT, "pack", "--ignore-scripts", "--json", "--pack-destination", scratch)) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  tarball = path.join(scratch, result.filename);
  packed = { size: result.size, files: result.files.map((f) => f.path) };
  // A monorepo-like workspace holding the JavaScript project; the TypeScript project on its own.
  write(
    path.join(scratch, "workspace/package.json"),
    JSON.stringify({ name: "workspace", private: true, workspaces: ["apps/js-app"] }, null, 2),
  );
  write(path.join(scratch, "workspace/apps/js-app/package.json"), consumerPackage("js-app"));
  write(path.join(scratch, "workspace/apps/js-app/Pulumi.yaml"), pulumiYaml("js-app", "index.js"));
  write(path.join(scratch, "workspace/apps/js-app/index.js"), PROGRAM_JS);
  install(path.join(scratch, "workspace"));
  const ts = path.join(scratch, "ts-app");
  write(path.join(ts, "package.json"), consumerPackage("ts-app", { "@types/node": "20.19.43" }));
  write(path.join(ts, "Pulumi.yaml"), pulumiYaml("ts-app", "bin/index.js"));
  write(path.join(ts, "index.ts"), PROGRAM_TS);
  write(
    path.join(ts, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: { strict: true, target: "ES2022", module: "commonjs", outDir: "bin", esModuleInterop: true },
        files: ["index.ts"],
      },
      null,
      2,
    ),
  );
  install(ts);
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules/typescript/bin/tsc"), "-p", ts], { stdio: "pipe" });
  sandbox = await createPulumiSandbox();
  sources = sourceFolder();
}, 600_000);

afterAll(() => {
  sandbox?.cleanup();
  sources?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the tarball holds the library, its declarations, the CLI and the README; no tests, bench or maps", () => {
  console.log(`npm pack: ${path.basename(tarball)}, ${packed.size} bytes, ${packed.files.length} files`);
  expect(packed.files).toEqual(
    expect.arrayContaining([
      "package.json",
      "README.md",
      "LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/servicedesk-migrate.js",
      "dist/dynamic-providers/operations.js",
      "dist/engine/index.d.ts",
      "dist/engine/load/reader-worker.js",
    ]),
  );
  expect(packed.files.filter((f) => /(^test\/|^bench\/|^dist\/bench\/|^dist\/program\/|\.map$|\.ts$(?<!\.d\.ts))/.test(f))).toEqual([]);
});

test("the CLI runs from the installed package's bin", () => {
  const file = sources.make("cli.sqlite", { tickets: 50, seed: 9 }).path;
  const out = execFileSync(path.join(scratch, "workspace/node_modules/.bin/servicedesk-migrate"), ["plan", "--source", file], {
    encoding: "utf8",
  });
  expect(out).toMatch(/tickets/);
  expect(out).toMatch(/created_at\s+timestamp without time zone/);
});

describe.each([
  { language: "JavaScript, in an npm workspace", dir: () => path.join(scratch, "workspace/apps/js-app"), prefix: "pkgjs" },
  { language: "TypeScript, compiled against the declarations", dir: () => path.join(scratch, "ts-app"), prefix: "pkgts" },
])("a project in $language", ({ dir, prefix }) => {
  let stack: Stack;
  const versions = async () =>
    (
      await queryRows<{ n: string }>(database.url, "SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1", [
        `${prefix}\\_v%`,
      ])
    ).map((r) => r.n);

  beforeAll(async () => {
    stack = await stackOf(sandbox, dir(), "dev");
    await stack.setAllConfig({
      source: { value: sources.make(`${prefix}-a.sqlite`, { tickets: 400, seed: 1 }).path },
      connection: { value: database.url, secret: true },
      schemaPrefix: { value: prefix },
      backupDirectory: { value: path.join(dir(), "backups") },
    });
  });

  test("preview shows the schema plan; a bad export fails it with the gate's findings", async () => {
    const preview = await stack.preview({ diff: true });
    expect(preview.stdout).toContain("schemaPlan");
    expect(preview.stdout).toMatch(/created_at\s*:\s*"timestamp without time zone"/);
    await stack.setConfig("source", { value: sources.make(`${prefix}-bad.sqlite`, { tickets: 400, seed: 3, defectRate: 0.2 }).path });
    const blocked = await stack.preview().then(
      () => null,
      (e: Error) => e,
    );
    expect(blocked?.message).toContain("the quality gate blocks");
    await stack.setConfig("source", { value: sources.make(`${prefix}-a.sqlite`, { tickets: 400, seed: 1 }).path });
    expect(await versions()).toEqual([]);
  });

  test("up loads the export; a new export replaces (the previous kept); destroy removes it all", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const first = up.outputs.schemaName.value as string;
    expect(up.outputs.rowCounts.value.tickets).toBe(400);
    expect(Number((await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${prefix}".tickets`))[0].n)).toBe(400);

    await stack.setConfig("source", { value: sources.make(`${prefix}-b.sqlite`, { tickets: 450, seed: 2 }).path });
    const replaced = await stack.up();
    expect(replaced.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(await versions()).toEqual([first, replaced.outputs.schemaName.value].sort());
    expect(Number((await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${prefix}".tickets`))[0].n)).toBe(450);

    await stack.destroy();
    expect(
      await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", [prefix, `${prefix}\\_%`]),
    ).toEqual([]);
  });
});
