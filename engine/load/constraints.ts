/**
 * Keys, foreign keys and indexes, built after the data (one sort per index
 * instead of one insert per row). A foreign key the data violates although
 * the loader set orphans aside (a cycle of references, a parent rejected
 * after its child was read) is repaired under the policy: the violating
 * rows are rejected or their reference nulled, recorded in _rejects, and the
 * constraint added again. The rows changed are returned so validation can
 * hash the source without them.
 */
import { Client, DatabaseError } from "pg";
import { BadValueError, describeError, MigrationError } from "../errors";
import { BadValuePolicy, ForeignKeyPlan, REJECTS_TABLE, TablePlan } from "../plan/model";
import { qualified, quoteIdent } from "../sql/identifiers";
import { foreignKeySql, indexSql, primaryKeySql } from "./ddl";

/** Source row keys changed in PostgreSQL after loading, per table. */
export type RepairedRows = Map<string, { rowKey: number | string; nulled: string[] | null; reason: string }[]>;

const MAX_REPAIR_ROUNDS = 50;

export async function addPrimaryKeys(client: Client, schema: string, tables: readonly TablePlan[]): Promise<void> {
  for (const table of tables) {
    const sql = primaryKeySql(schema, table);
    if (!sql) continue;
    try {
      await client.query(sql);
    } catch (error) {
      throw new MigrationError("LOAD_FAILED", `primary key of "${table.name}" could not be created: ${describeError(error)}`, {
        cause: error,
        table: table.source,
      });
    }
  }
}

/**
 * A unique index can fail on values SQLite held apart but PostgreSQL does
 * not (1 and '1' in a column without affinity): the load fails with a typed
 * error naming the index and the server's duplicated key.
 */
export async function addIndexes(client: Client, schema: string, tables: readonly TablePlan[]): Promise<void> {
  for (const table of tables) {
    for (const index of table.indexes) {
      try {
        await client.query(indexSql(schema, table, index));
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        throw new MigrationError("LOAD_FAILED", `index "${index.name}" of "${table.name}" could not be created: ${describeError(error)}`, {
          cause: error,
          table: table.source,
        });
      }
    }
  }
}

/** The source row key of a PostgreSQL row, as the loader names rows (rowid or compact JSON key). */
function rowKeySql(table: TablePlan, alias: string): string | null {
  const column = (k: string) => `${alias}.${quoteIdent(k)}`;
  if (table.readOrder.kind === "rowid") return `${column(table.primaryKey[0])}::text`;
  if (table.withoutRowid) return `'[' || concat_ws(',', ${table.primaryKey.map((k) => `to_json(${column(k)})::text`).join(", ")}) || ']'`;
  return null;
}

export async function addForeignKeys(
  client: Client,
  schema: string,
  tables: readonly TablePlan[],
  policy: BadValuePolicy,
): Promise<RepairedRows> {
  const repaired: RepairedRows = new Map();
  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      for (let round = 0; ; round++) {
        await client.query("SAVEPOINT sdm_fk");
        try {
          await client.query(foreignKeySql(schema, table, fk));
          await client.query("RELEASE SAVEPOINT sdm_fk");
          break;
        } catch (error) {
          if (!(error instanceof DatabaseError) || error.code !== "23503" || round >= MAX_REPAIR_ROUNDS) throw error;
          await client.query("ROLLBACK TO SAVEPOINT sdm_fk");
          const rows = await repairViolations(client, schema, table, fk, policy);
          repaired.set(table.source, [...(repaired.get(table.source) ?? []), ...rows]);
        }
      }
    }
  }
  return repaired;
}

async function repairViolations(client: Client, schema: string, table: TablePlan, fk: ForeignKeyPlan, policy: BadValuePolicy) {
  const child = qualified(schema, table.name);
  const matches = fk.columns.map((c, i) => `p.${quoteIdent(fk.parentColumns[i])} = c.${quoteIdent(c)}`).join(" AND ");
  const violating = `${fk.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(" AND ")} AND NOT EXISTS (SELECT 1 FROM ${qualified(schema, fk.parentTable)} p WHERE ${matches})`;
  const reason = `references a row of "${fk.parentTable}" that is not loaded`;
  const raw = fk.columns.map((c) => `c.${quoteIdent(c)}::text`).join(` || ',' || `);
  const sourceColumn = table.columns.find((c) => c.name === fk.columns[0])!.source;
  const key = rowKeySql(table, "c");
  if (policy === "fail") {
    const found = await client.query(`SELECT ${key ?? "NULL"} AS k, ${raw} AS v FROM ${child} c WHERE ${violating} LIMIT 1`);
    throw new BadValueError(table.source, sourceColumn, String(found.rows[0]?.k ?? "?"), String(found.rows[0]?.v ?? ""), reason);
  }
  if (key === null) {
    throw new MigrationError(
      "LOAD_FAILED",
      `table "${table.name}" violates its foreign key to "${fk.parentTable}" after loading and its rows have no key to name them`,
      { table: table.source, column: fk.columns[0] },
    );
  }
  const nullable = policy === "null" && fk.columns.every((c) => !table.columns.find((col) => col.name === c)!.notNull);
  const change = nullable
    ? `UPDATE ${child} c SET ${fk.columns.map((col) => `${quoteIdent(col)} = NULL`).join(", ")} WHERE ${violating} RETURNING ${key} AS k, ${raw} AS v`
    : `DELETE FROM ${child} c WHERE ${violating} RETURNING ${key} AS k, ${raw} AS v`;
  const sql = `WITH changed AS (${change})
    INSERT INTO ${qualified(schema, REJECTS_TABLE)} (table_name, row_key, column_name, raw_value, reason, action)
    SELECT $1, k, $2, v, $3, $4 FROM changed RETURNING row_key`;
  const result = await client.query<{ row_key: string }>(sql, [table.source, sourceColumn, reason, nullable ? "nulled" : "rejected"]);
  return result.rows.map((r) => ({
    rowKey: table.readOrder.kind === "rowid" ? Number(r.row_key) : r.row_key,
    nulled: nullable ? fk.columns.map((c) => table.columns.find((col) => col.name === c)!.source) : null,
    reason,
  }));
}
