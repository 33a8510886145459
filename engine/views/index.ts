/** The export's views, translated to PostgreSQL and recreated in each version. */
export { createViews, isoPattern } from "./create";
export type { CreateViewsInput, ViewsReport } from "./create";
export { affinityOf, parseCreateView, referencedRelations, strftimePattern, translateView, ViewSqlError } from "./translate";
export type { Affinity, ColumnInfo, ParsedView, RelationInfo, TranslationContext } from "./translate";
