/**
 * Per-column type overrides ("timestamp", "numeric(12,2)", "text", ...) as
 * converter specs, by the spellings each target type lists (the table of
 * target types). A type that reads numbers (date, timestamp, timestamptz)
 * may state their reading after a colon: `timestamptz:unix-ms`; every
 * number of the column is then read so, whatever its magnitude.
 */
import { OptionError } from "../errors";
import { ColumnEvidence } from "../profile";
import { DateRange, NUMBER_READINGS, NumberReading } from "../formats/number-readings";
import { ConverterSpec, TARGET_TYPES } from "../types/target-types";

const SPELLINGS = Object.values(TARGET_TYPES).flatMap((type) =>
  type.overrides.patterns.map((p) => ({ ...p, takesReading: type.overrides.takesReading })),
);

export const OVERRIDE_TYPES =
  `${SPELLINGS.map((s) => s.shown).join(", ")} ` +
  `(a date type may add a reading of its numbers: ${NUMBER_READINGS.map((r) => `:${r}`).join(", ")})`;

/** The converter for an override; timestamp formats still come from the sample, numbers' readings too unless stated. */
export function overrideConverter(
  type: string,
  evidence: ColumnEvidence,
  context: { readonly timezone: string | null; readonly dateRange: DateRange },
  where: string,
): { converter: ConverterSpec; maxLength: number | null } {
  const [typeName, reading, ...extra] = type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*([(),:])\s*/g, "$1")
    .split(":");
  const spelling = SPELLINGS.find((s) => s.pattern.test(typeName));
  if (!spelling || extra.length > 0)
    throw new OptionError(`typeOverrides.${where}`, `unknown type "${type}"; use one of: ${OVERRIDE_TYPES}`);
  if (reading !== undefined && (!spelling.takesReading || !NUMBER_READINGS.includes(reading as NumberReading)))
    throw new OptionError(
      `typeOverrides.${where}`,
      spelling.takesReading
        ? `unknown reading "${reading}" of numbers; use one of: ${NUMBER_READINGS.join(", ")}`
        : `"${type}": only date, timestamp and timestamptz take a reading of numbers`,
    );
  const made = spelling.make(spelling.pattern.exec(typeName)!, {
    evidence,
    timezone: context.timezone,
    dateRange: context.dateRange,
    reading,
  });
  return { converter: made.spec as ConverterSpec, maxLength: made.maxLength };
}
