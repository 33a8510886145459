export * from "./model";
export { gatherEvidence } from "./evidence";
export { columnEvidence, sampleRows, variantsOf } from "./sample";
export { rowKeyExpression } from "./structure";
