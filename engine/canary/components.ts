/**
 * The foreign-key graph of the migrated tables, cut into strongly connected
 * components (Tarjan): tables that reference each other in a cycle belong
 * together. A component that references no table outside itself is a root
 * of the sample; the order lists parents' components before children's.
 */
import { SourceTable } from "../source";

export interface ReferenceComponents {
  /** Table names, every table after the tables it references (cycles kept together). */
  readonly order: readonly string[];
  isRoot(table: string): boolean;
  sameComponent(a: string, b: string): boolean;
}

export function referenceComponents(tables: readonly SourceTable[]): ReferenceComponents {
  const names = new Set(tables.map((t) => t.name));
  const parents = new Map(
    tables.map((t) => [t.name, [...new Set(t.foreignKeys.map((fk) => fk.parentTable))].filter((p) => names.has(p) && p !== t.name)]),
  );
  const componentOf = new Map<string, number>();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const order: string[] = [];
  let counter = 0;
  let components = 0;
  // Tarjan's algorithm emits a component only after every component it reaches:
  // with edges child -> parent, parents come out first.
  const visit = (name: string) => {
    index.set(name, counter);
    low.set(name, counter++);
    stack.push(name);
    onStack.add(name);
    for (const parent of parents.get(name)!) {
      if (!index.has(parent)) {
        visit(parent);
        low.set(name, Math.min(low.get(name)!, low.get(parent)!));
      } else if (onStack.has(parent)) low.set(name, Math.min(low.get(name)!, index.get(parent)!));
    }
    if (low.get(name) !== index.get(name)) return;
    const id = components++;
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      componentOf.set(member, id);
      order.push(member);
      if (member === name) break;
    }
  };
  for (const table of tables) if (!index.has(table.name)) visit(table.name);
  const roots = new Set<number>();
  for (let id = 0; id < components; id++) roots.add(id);
  for (const [name, list] of parents) {
    if (list.some((p) => componentOf.get(p) !== componentOf.get(name))) roots.delete(componentOf.get(name)!);
  }
  return {
    order,
    isRoot: (table) => roots.has(componentOf.get(table)!),
    sameComponent: (a, b) => componentOf.get(a) === componentOf.get(b),
  };
}
