/**
 * Worker thread computing the export's sha256 (the file, then its -wal):
 * a second core hashes while the main thread introspects and samples.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";

const hash = createHash("sha256");
const buffer = Buffer.allocUnsafe(4 << 20);
for (const file of [workerData as string, `${workerData as string}-wal`]) {
  if (file !== workerData && !existsSync(file)) continue;
  const fd = openSync(file, "r");
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
}
parentPort!.postMessage(hash.digest("hex"));
