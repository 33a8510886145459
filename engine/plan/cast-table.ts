/**
 * The cast table: declared type family + what the sample shows -> the
 * PostgreSQL type and its converter. Declarative, like pgloader's casting
 * rules: each family's rule belongs to the target type that owns it (the
 * table of target types), and the families no type owns (no declared type,
 * or a name SQLite does not know) are inferred from the sample alone. Each
 * rule says why in the plan ("reason").
 */
import { CastContext, CastDecision, CastRule, noDeclaredType, unknownType } from "../types/cast-rules";
import type { DeclaredFamily } from "../types/declared";
import { TARGET_TYPES, TypeKind } from "../types/target-types";

export type { CastContext, CastDecision };
export {
  MAX_NUMERIC_PRECISION,
  MAX_VARCHAR_LENGTH,
  settleSlashOrder,
  TEXT_BOOLEAN_SHARE,
  TEXT_TEMPORAL_SHARE,
  usualReading,
} from "../types/cast-rules";

/** The families no type owns: their type comes from the sample. */
const INFERRED = { none: noDeclaredType, unknown: unknownType } as const;

type OwnedFamily = { [K in TypeKind]: keyof (typeof TARGET_TYPES)[K]["declared"] }[TypeKind];
/** Every declared family has one rule: a family the normaliser gains and no type owns does not compile. */
const RULES: Readonly<Record<DeclaredFamily, CastRule>> = Object.assign(
  {},
  ...Object.values(TARGET_TYPES).map((t) => t.declared),
  INFERRED,
) as Record<Exclude<DeclaredFamily, OwnedFamily | keyof typeof INFERRED> extends never ? DeclaredFamily : never, CastRule>;

export function castColumn(ctx: CastContext): CastDecision {
  const rule = RULES[ctx.declared.family](ctx);
  const label = ctx.declared.raw === "" ? "no declared type" : `declared ${ctx.declared.raw}`;
  return { ...rule, reason: `${label}; ${rule.reason}` };
}
