// Placeholder until the ServicedeskMigration resource lands.
export const project = "servicedesk-migration";
