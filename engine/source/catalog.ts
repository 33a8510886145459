/**
 * SQLite catalog queries, kept as data. Table names are bound through the
 * table-valued pragma functions (pragma_table_xinfo(?)), never spliced in.
 */

/** Tables, views, virtual and shadow tables of the main schema. */
export const LIST_TABLES = `
  SELECT name, type, wr AS withoutRowid, strict
  FROM pragma_table_list
  WHERE schema = 'main' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
  ORDER BY name`;

/** The CREATE statement of every object, to tell virtual tables and list triggers. */
export const LIST_SCHEMA_OBJECTS = `
  SELECT type, name, tbl_name AS tableName, sql
  FROM sqlite_schema
  WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`;

/** Columns including generated ones (hidden = 2 or 3). */
export const TABLE_COLUMNS = `
  SELECT cid, name, type, "notnull" AS isNotNull, dflt_value AS defaultSql, pk, hidden
  FROM pragma_table_xinfo(?)
  ORDER BY cid`;

export const TABLE_FOREIGN_KEYS = `
  SELECT id, seq, "table" AS parentTable, "from" AS fromColumn, "to" AS toColumn,
         on_update AS onUpdate, on_delete AS onDelete
  FROM pragma_foreign_key_list(?)
  ORDER BY id, seq`;

export const TABLE_INDEXES = `
  SELECT name, "unique" AS isUnique, origin, partial
  FROM pragma_index_list(?)`;

/** Key columns of an index; cid -2 is an expression, -1 the rowid. */
export const INDEX_COLUMNS = `
  SELECT seqno, cid, name, "desc" AS isDescending, coll AS collation
  FROM pragma_index_xinfo(?)
  WHERE key = 1
  ORDER BY seqno`;
