/** The provider's pure rules: which changes replace, which update, and input validation. */
import { diffInputs } from "../../dynamic-providers/diff";
import { REPLACING_INPUTS, SHOWN_INPUTS, UPDATING_INPUTS } from "../../dynamic-providers/lifecycle";
import { MigrationInputs, UNKNOWN, validateInputs, withDefaults } from "../../dynamic-providers/inputs";

const base = withDefaults({
  source: "/exports/a.sqlite",
  connection: "postgresql://app:pw@db:5432/app",
  sourceDigest: "a".repeat(64),
  schemaPlan: { tickets: { rows: 10, primaryKey: ["id"], columns: { id: "bigint", created_at: "timestamp without time zone" } } },
  owner: "pulumi:p/dev",
});

describe("diff", () => {
  test("nothing changed: no changes", () => {
    expect(diffInputs(base, { ...base })).toEqual({ changes: false, replaces: [], updates: [], deleteBeforeReplace: false });
  });

  test.each<[keyof MigrationInputs, unknown]>([
    ["sourceDigest", "b".repeat(64)],
    ["schemaPlan", { tickets: { rows: 10, primaryKey: ["id"], columns: { id: "bigint", created_at: "timestamp with time zone" } } }],
    ["schemaPrefix", "other"],
    ["badValuePolicy", "null"],
    ["renames", { tables: { tickets: "cases" } }],
    ["typeOverrides", { tickets: { created_at: "text" } }],
    ["includeTables", ["tickets"]],
    ["excludeTables", ["comments"]],
    ["timezone", "Europe/Paris"],
  ])("a new %s replaces, creating the new version before deleting the old", (key, value) => {
    const result = diffInputs(base, { ...base, [key]: value });
    expect(result).toEqual({ changes: true, replaces: [key], updates: [], deleteBeforeReplace: false });
  });

  test.each<[keyof MigrationInputs, unknown]>([
    ["connection", "postgresql://app:rotated@db:5432/app"],
    ["retainVersions", 3],
    ["backupDirectory", "/elsewhere"],
    ["cutover", "manual"],
    ["mode", "simple"],
    ["minQuality", 90],
    ["source", "/moved/a.sqlite"],
  ])("a new %s updates in place", (key, value) => {
    expect(diffInputs(base, { ...base, [key]: value })).toEqual({
      changes: true,
      replaces: [],
      updates: [key],
      deleteBeforeReplace: false,
    });
  });

  test("key order inside objects is not a change", () => {
    const reordered = {
      ...base,
      schemaPlan: { tickets: { columns: { created_at: "timestamp without time zone", id: "bigint" }, primaryKey: ["id"], rows: 10 } },
    };
    expect(diffInputs(base, reordered).changes).toBe(false);
  });

  test("a new review alone is no change: the readers' version moved, not the export", () => {
    const moved = { ...base, review: { against: "servicedesk_v20261201_000000", verdict: "passes: score 100, minQuality 80" } };
    expect(diffInputs(base, moved)).toEqual({ changes: false, replaces: [], updates: [], deleteBeforeReplace: false });
  });

  test("every input is classified", () => {
    const classified = new Set([...REPLACING_INPUTS, ...UPDATING_INPUTS, ...SHOWN_INPUTS]);
    for (const key of Object.keys(base)) expect(classified.has(key as keyof MigrationInputs)).toBe(true);
  });
});

describe("validateInputs", () => {
  test("valid inputs have no failures", () => {
    expect(validateInputs(base)).toEqual([]);
  });

  test("each bad input is a failure naming the property and why", () => {
    const failures = validateInputs({
      ...base,
      mode: "bogus" as never,
      minQuality: 120,
      sampleRate: 0,
      connection: "mysql://x",
      schemaPrefix: "Bad-Prefix",
      retainVersions: 1.5,
    });
    expect(failures).toEqual([
      { property: "connection", reason: "must be a postgresql:// URL" },
      { property: "schemaPrefix", reason: "must match [a-z_][a-z0-9_]* and be at most 46 bytes" },
      { property: "mode", reason: 'must be one of simple, blue-green, complete, got "bogus"' },
      { property: "minQuality", reason: "must be a number between 0 and 100, got 120" },
      { property: "sampleRate", reason: "must be above 0 and at most 1, got 0" },
      { property: "retainVersions", reason: "must be a whole number between 0 and 100, got 1.5" },
    ]);
  });

  test("blue-green with an automatic cutover contradicts itself: refused, naming cutover", () => {
    expect(validateInputs({ ...base, mode: "blue-green", cutover: "auto" })).toEqual([
      {
        property: "cutover",
        reason:
          'blue-green switches the stable schema only on the cutover command: leave cutover unset (or "manual"), or use mode complete or simple',
      },
    ]);
    expect(validateInputs({ ...base, mode: "blue-green" })).toEqual([]);
  });

  test("unknown values (a preview before their dependencies exist) are not judged", () => {
    expect(validateInputs({ ...base, connection: UNKNOWN, schemaPrefix: UNKNOWN })).toEqual([]);
  });
});
