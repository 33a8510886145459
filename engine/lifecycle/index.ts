/** A holder's life besides its runs: settings applied, rows counted, versions let go. */
export { holderState, releaseHolder, settleHolder } from "./holder";
export type { HolderSettings } from "./holder";
