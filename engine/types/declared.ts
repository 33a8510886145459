/**
 * SQLite declared types normalised in one place. SQLite accepts any type
 * name ("UNSIGNED BIG INT", "NVARCHAR(40)", "DATETIME", ""); each is reduced
 * to a family the cast table maps from, keeping length, precision and scale.
 */

export type DeclaredFamily =
  | "integer"
  | "smallint"
  | "int"
  | "real"
  | "numeric"
  | "boolean"
  | "date"
  | "datetime"
  | "time"
  | "varchar"
  | "text"
  | "blob"
  | "json"
  | "uuid"
  | "none"
  /** A name neither this list nor SQLite's affinity words know (ENUM, YEAR, GEOMETRY): SQLite gives it NUMERIC affinity. */
  | "unknown";

export interface DeclaredType {
  readonly raw: string;
  readonly family: DeclaredFamily;
  /** VARCHAR(n) length, NUMERIC(p, s) precision and scale, when declared. */
  readonly length: number | null;
  readonly precision: number | null;
  readonly scale: number | null;
}

/** Rules tried in order on the upper-cased name without parameters (as pgloader does). */
const FAMILY_RULES: readonly [RegExp, DeclaredFamily][] = [
  [/^(INTEGER|BIGINT|INT8|UNSIGNED BIG INT|BIG INT)$/, "integer"],
  [/^(SMALLINT|TINYINT|INT2)$/, "smallint"],
  [/^(INT|INT4|MEDIUMINT)$/, "int"],
  [/^(BOOLEAN|BOOL|BIT)$/, "boolean"],
  [/^DATE$/, "date"],
  [/^(DATETIME|TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH(OUT)? TIME ZONE|DATETIME2|SMALLDATETIME)$/, "datetime"],
  [/^TIME$/, "time"],
  [/^(REAL|DOUBLE|DOUBLE PRECISION|FLOAT|FLOAT4|FLOAT8)$/, "real"],
  [/^(NUMERIC|DECIMAL|MONEY|NUMBER)$/, "numeric"],
  [/^(VARCHAR|NVARCHAR|CHARACTER VARYING|VARYING CHARACTER|NATIVE CHARACTER|NCHAR|CHARACTER|CHAR)$/, "varchar"],
  [/^(TEXT|CLOB|NTEXT|STRING|LONGTEXT|MEDIUMTEXT|TINYTEXT)$/, "text"],
  [/^(BLOB|BYTEA|BINARY|VARBINARY|IMAGE)$/, "blob"],
  [/^JSONB?$/, "json"],
  [/^(UUID|GUID|UNIQUEIDENTIFIER)$/, "uuid"],
];

export type Affinity = "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC";

/** SQLite's affinity of a declared type (https://sqlite.org/datatype3.html, 3.1). */
export function affinityOf(declaredType: string): Affinity {
  const t = declaredType.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) return "TEXT";
  if (t.includes("BLOB") || t.trim() === "") return "BLOB";
  if (t.includes("REAL") || t.includes("FLOA") || t.includes("DOUB")) return "REAL";
  return "NUMERIC";
}

/** The family of a name no rule above knows: its affinity's (no declared type at all is none; NUMERIC, a name SQLite does not know). */
const AFFINITY_FAMILIES: Readonly<Record<Affinity, DeclaredFamily>> = {
  INTEGER: "integer",
  TEXT: "text",
  BLOB: "blob",
  REAL: "real",
  NUMERIC: "unknown",
};
const affinityFamily = (name: string): DeclaredFamily => (name === "" ? "none" : AFFINITY_FAMILIES[affinityOf(name)]);

/** Families whose PostgreSQL type comes from the sample alone: no declared type to honour. */
export function isInferredFamily(family: DeclaredFamily): boolean {
  return family === "none" || family === "unknown";
}

export function parseDeclaredType(raw: string): DeclaredType {
  const upper = raw.trim().toUpperCase().replace(/\s+/g, " ");
  const params = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(upper);
  const bare = upper.replace(/\(.*\)/, "").trim();
  // "UNSIGNED BIG INT" is a type name of its own; elsewhere the sign word is noise.
  const name =
    bare === "UNSIGNED BIG INT"
      ? bare
      : bare
          .replace(/\b(UNSIGNED|SIGNED)\b/g, "")
          .replace(/\s+/g, " ")
          .trim();
  const family = FAMILY_RULES.find(([pattern]) => pattern.test(name))?.[1] ?? affinityFamily(name);
  const first = params ? Number(params[1]) : null;
  const second = params?.[2] !== undefined ? Number(params[2]) : null;
  return {
    raw,
    family,
    length: family === "varchar" ? first : null,
    precision: family === "numeric" ? first : null,
    scale: family === "numeric" ? (first === null ? null : (second ?? 0)) : null,
  };
}
