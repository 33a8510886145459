/** A holder's life besides its runs: settings applied, rows counted, versions let go. */
export { releaseHolder, settleHolder, versionRowCounts } from "./holder";
export type { HolderSettings } from "./holder";
