/**
 * The lifecycle table (dynamic-providers/lifecycle.ts) is the one place
 * that says, for every input, its default and what a change of it does.
 * diff() reads it; these tests hold everything else that states the same
 * facts to it: Pulumi.yaml's config keys, the README's configuration
 * reference, and the CLI's defaults.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { program } from "../../cli/servicedesk-migrate";
import { diffInputs } from "../../dynamic-providers/diff";
import { withDefaults } from "../../dynamic-providers/inputs";
import { INPUTS } from "../../dynamic-providers/lifecycle";
import { DEFAULTS } from "../../engine/defaults";

const ROOT = path.resolve(__dirname, "..", "..");
const CONFIG_INPUTS = INPUTS.filter((i) => !i.computed);

interface ConfigKey {
  type: string;
  default?: unknown;
  secret?: boolean;
}
const pulumiYaml = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, ConfigKey> };

/** `| \`key\` | type | default | effect | replaces |` rows of the README's configuration reference. */
function readmeRows(): Map<string, { type: string; default: string; replaces: string }> {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("### The database role"));
  const rows = new Map<string, { type: string; default: string; replaces: string }>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const key = /^`(\w+)`$/.exec(cells[1] ?? "")?.[1];
    if (key) rows.set(key, { type: cells[2], default: cells[3], replaces: cells[5] });
  }
  return rows;
}

const asReadmeDefault = (value: unknown) =>
  value === undefined ? "(required)" : `\`${typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value)}\``;

test("diff() does what the table says for each input", () => {
  const base = withDefaults({ source: "/a.sqlite", connection: "postgresql://u@h/d", sourceDigest: "d", owner: "pulumi:p/s" });
  for (const input of INPUTS) {
    const changed = {
      ...base,
      [input.name]:
        typeof input.default === "number"
          ? input.default + 1
          : input.name === "mode"
            ? "simple"
            : input.name === "cutover"
              ? "manual"
              : { changed: true },
    };
    const result = diffInputs(base, changed);
    expect({ input: input.name, replaces: result.replaces, updates: result.updates }).toEqual({
      input: input.name,
      replaces: input.change === "replace" ? [input.name] : [],
      updates: input.change === "update" ? [input.name] : [],
    });
  }
});

test("Pulumi.yaml declares every configurable input with the table's type and default", () => {
  for (const input of CONFIG_INPUTS) {
    const declared = pulumiYaml.config[input.name];
    expect({ input: input.name, declared: declared !== undefined }).toEqual({ input: input.name, declared: true });
    expect({ input: input.name, type: declared.type, secret: declared.secret ?? false }).toEqual({
      input: input.name,
      type: input.type,
      secret: input.secret ?? false,
    });
    // Pulumi config holds numbers of this kind as strings (sampleRate): compare as the program reads them.
    const declaredDefault = input.type === "string" && typeof input.default === "number" ? Number(declared.default) : declared.default;
    expect({ input: input.name, default: declaredDefault }).toEqual({ input: input.name, default: input.default });
  }
});

test("the README's configuration reference states each input's default and whether a change replaces", () => {
  const rows = readmeRows();
  for (const input of CONFIG_INPUTS) {
    const row = rows.get(input.name);
    expect({ input: input.name, documented: row !== undefined }).toEqual({ input: input.name, documented: true });
    expect({ input: input.name, default: row!.default }).toEqual({ input: input.name, default: asReadmeDefault(input.default) });
    const replaces = row!.replaces.startsWith("yes") ? "replace" : "update";
    expect({ input: input.name, change: replaces }).toEqual({ input: input.name, change: input.change });
  }
});

test("the CLI's defaults are the engine's", () => {
  const migrate = program().commands.find((c) => c.name() === "migrate")!;
  const defaultOf = (flag: string) => migrate.options.find((o) => o.long === flag)!.defaultValue;
  expect({ prefix: defaultOf("--schema-prefix"), mode: defaultOf("--mode"), policy: defaultOf("--on-bad-value") }).toEqual({
    prefix: DEFAULTS.schemaPrefix,
    mode: DEFAULTS.mode,
    policy: DEFAULTS.badValuePolicy,
  });
  for (const [flag, value] of [
    ["--min-quality", DEFAULTS.minQuality],
    ["--sample-rate", DEFAULTS.sampleRate],
    ["--sample-seed", DEFAULTS.sampleSeed],
    ["--retain", DEFAULTS.retainVersions],
    ["--backup-compression", DEFAULTS.backupCompression],
    ["--backup-keep-days", DEFAULTS.backupKeepDays],
  ] as const) {
    expect({ flag, help: migrate.options.find((o) => o.long === flag)!.description }).toEqual({
      flag,
      help: expect.stringContaining(`default ${value})`),
    });
  }
});
