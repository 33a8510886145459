/** What the reliability tests share (see each module). */
export * from "./cli";
export * from "./database-state";
export * from "./faults";
