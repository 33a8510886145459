/** Load order: parents before the tables that reference them (self-references ignored). */
import { PlanNote, TablePlan } from "./model";

export function loadOrder(tables: readonly TablePlan[], notes: PlanNote[]): TablePlan[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: TablePlan[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (table: TablePlan, path: string[]) => {
    const mark = state.get(table.name);
    if (mark === "done") return;
    if (mark === "visiting") {
      notes.push({
        level: "warning",
        message: `foreign keys form a cycle (${[...path, table.name].join(" -> ")}); rows referencing rejected rows are handled after loading`,
      });
      return;
    }
    state.set(table.name, "visiting");
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.parentTable);
      if (parent && parent !== table) visit(parent, [...path, table.name]);
    }
    state.set(table.name, "done");
    ordered.push(table);
  };
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table, []);
  return ordered;
}
