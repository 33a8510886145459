/**
 * A chunk read before PostgreSQL has answered the COPY: the COPY stream
 * holds it (corked) until the server's CopyInResponse, so its buffer must
 * not go back to the reader (which would detach it, leaving the stream a
 * chunk of no bytes and a byte count that never reaches zero: the COPY
 * never ends, and the server waits for data that never comes). Here a
 * proxy between the engine and the real PostgreSQL holds back the server's
 * answer to every COPY ... FROM STDIN, so the readers' first chunks always
 * come first; every row must load, in every table. The tables are small:
 * a chunk over the stream's high-water mark waited for its drain, which
 * came only after the answer, and so was never at risk; one below it was.
 */
import { once } from "node:events";
import { AddressInfo, createServer, Server, Socket, connect } from "node:net";
import * as path from "node:path";
import { migrate } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { useTestDatabase } from "../support/database";
import { pgCount, sqliteCount, useTempDir } from "./engine-fixtures";

const ANSWER_DELAY_MS = 400;
const database = useTestDatabase("copy_start");
const tmp = useTempDir("copy_start");
let proxy: Server;
let delayed = 0;

/** Forwards to the server; the server's bytes after a client's COPY ... FROM STDIN are held back ANSWER_DELAY_MS. */
function delayingProxy(target: URL): Server {
  return createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    let holdUntil = 0;
    client.on("data", (data: Buffer) => {
      if (data.includes("FROM STDIN")) {
        holdUntil = Date.now() + ANSWER_DELAY_MS;
        delayed++;
      }
      upstream.write(data);
    });
    upstream.on("data", (data: Buffer) => {
      const wait = holdUntil - Date.now();
      if (wait <= 0) return void client.write(data);
      upstream.pause();
      setTimeout(() => {
        client.write(data);
        upstream.resume();
      }, wait);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
}

beforeAll(async () => {
  proxy = delayingProxy(new URL(database.url));
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

test("chunks read before the server answers the COPY all load", async () => {
  const source = generateServicedeskDatabase({ tickets: 10, seed: 5, out: path.join(tmp.dir, "export.sqlite") }).path;
  const url = new URL(database.url);
  url.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const report = await migrate({
    sourcePath: source,
    databaseUrl: url.toString(),
    schemaPrefix: "cstart",
    mode: "simple",
    backupDirectory: path.join(tmp.dir, "backups"),
  });
  expect(delayed).toBeGreaterThanOrEqual(3);
  expect(report.outcome).toBe("loaded");
  for (const table of ["tickets", "comments", "timesheets"]) {
    const loaded = report.tables.find((t) => t.table === table)!;
    expect({ table, rows: await pgCount(database.url, report.schema!, table) }).toEqual({
      table,
      rows: sqliteCount(source, table) - loaded.rejected,
    });
    expect({ table, rows: loaded.rowsLoaded }).toEqual({ table, rows: sqliteCount(source, table) - loaded.rejected });
  }
}, 30_000);
