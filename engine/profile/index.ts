export * from "./model";
export { gatherEvidence, gatherSubsetStructure } from "./evidence";
export { columnEvidence, sampleRows, variantsOf } from "./sample";
export { rowKeyCondition, rowKeyExpression } from "./structure";
