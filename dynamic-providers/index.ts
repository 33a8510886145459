export { ServicedeskMigration } from "./servicedesk-migration";
export type { ServicedeskMigrationArgs } from "./servicedesk-migration";
export { describeSource } from "./source-plan";
export type { SchemaPlan, ResourceMode } from "./inputs";
