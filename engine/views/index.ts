/** The export's views, translated to PostgreSQL and recreated in each version. */
export { createViews, isoPattern } from "./create";
export type { CreateViewsInput, FailedView, ViewsReport } from "./create";
export { parseCreateView, ViewSqlError } from "./parse";
export type { ParsedView } from "./parse";
export { referencedRelations } from "./scope";
export { strftimePattern } from "./strftime";
export { translateView } from "./translate";
export type { ColumnInfo, RelationInfo, TranslationContext } from "./translation-context";
export { refusalsOfReport, refusedViews, refusedViewsOf, vetView } from "./vet";
export type { ViewRefusal } from "./vet";
export { VIEW_FUNCTIONS } from "./functions";
