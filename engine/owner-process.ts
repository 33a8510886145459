/**
 * Who left a file behind: runs name their leftovers (partial dumps, scratch
 * folders) after this host and their pid, so a later run removes only those
 * whose writer is gone, never another host's or a live process's.
 */
import { hostname } from "node:os";

/** The host's name as it appears in file names: letters, digits and dashes (dots separate a partial dump's name parts). */
export const HOST_LABEL = hostname().replace(/[^A-Za-z0-9-]/g, "-") || "localhost";

/** Whether a process of this host with that pid exists (EPERM: it does, another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
