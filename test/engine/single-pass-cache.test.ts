/**
 * useSinglePassCache finds the databases a connection has open itself: the
 * export and an attached key database take the small page cache, the temp
 * schema keeps better-sqlite3's default (its temporary tables would spill
 * to temp files sooner).
 */
import { attachSubset, openSource, useSinglePassCache } from "../../engine/source";
import { sqliteFile, useTempDir } from "./engine-fixtures";

const tmp = useTempDir("single-pass-cache");

const cacheOf = (db: ReturnType<typeof openSource>, schema: string) => db.pragma(`${schema}.cache_size`, { simple: true }) as number;

test("the export and an attached key database take the small cache; temp keeps its own", () => {
  const exportFile = sqliteFile(tmp.dir, "export", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');");
  const keysFile = sqliteFile(tmp.dir, "keys", "CREATE TABLE k_0 (k0 INTEGER PRIMARY KEY); INSERT INTO k_0 VALUES (1);");
  const db = openSource(exportFile);
  try {
    attachSubset(db, { file: keysFile, keyTables: { t: "k_0" } });
    db.exec("CREATE TEMP TABLE scratch (x)");
    const temp = cacheOf(db, "temp");
    expect(cacheOf(db, "main")).toBe(-16000);
    useSinglePassCache(db);
    expect(cacheOf(db, "main")).toBe(-2048);
    expect(cacheOf(db, "sdm_subset")).toBe(-2048);
    expect(cacheOf(db, "temp")).toBe(temp);
    // The connection still reads both databases.
    expect(db.prepare("SELECT count(*) FROM t WHERE id IN (SELECT k0 FROM sdm_subset.k_0)").pluck().get()).toBe(1);
  } finally {
    db.close();
  }
});
