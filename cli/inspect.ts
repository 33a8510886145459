/** The commands that only read the export (profile: every value converted and the gate; plan), and generate. */
import {
  asMigrationError,
  DEFAULTS,
  evaluateGate,
  generateServicedeskDatabase,
  inspectSource,
  measureByReading,
  parseAcceptances,
  refusedViewsOf,
  roundedQuality,
} from "../engine";
import { GateFlags, gateOptions, PlanFlags, planOptions, requireSource } from "./options";
import { planLines, print, qualityLines } from "./output";
import { RunEnd } from "./progress";
import { display, EXIT_BLOCKED, OutputFlags } from "./run-output";

export async function runProfile(flags: PlanFlags & GateFlags & OutputFlags & { source?: string }): Promise<void> {
  const sourcePath = requireSource(flags);
  const gate = gateOptions(flags);
  const minQuality = gate.minQuality ?? DEFAULTS.minQuality;
  const inspection = await inspectSource(sourcePath, planOptions(flags));
  const progress = display(flags);
  let end: RunEnd = {};
  let measured: Awaited<ReturnType<typeof measureByReading>>;
  try {
    measured = await measureByReading({ ...inspection, sourcePath }, progress.listener);
  } catch (error) {
    end = { error: asMigrationError(error) };
    throw end.error;
  } finally {
    progress.finish(end);
  }
  const quality = evaluateGate({
    tables: measured.tables,
    minQuality,
    thresholds: gate.thresholds,
    acceptances: parseAcceptances(gate.acceptFindings ?? []),
    viewRefusals: refusedViewsOf(inspection),
    basis: "full",
  });
  print(
    flags,
    {
      source: sourcePath,
      digest: inspection.digest,
      quality: roundedQuality(quality),
      stats: measured.tables.map((t) => ({ table: t.plan.name, ...t.stats })),
    },
    qualityLines(quality),
  );
  if (quality.blocked) process.exitCode = EXIT_BLOCKED;
}

export async function runPlan(flags: PlanFlags & { source?: string; json: boolean }): Promise<void> {
  const inspection = await inspectSource(requireSource(flags), planOptions(flags));
  print(flags, { digest: inspection.digest, plan: inspection.plan }, planLines(inspection.plan));
}

export function runGenerate(flags: {
  tickets: string;
  seed: string;
  defectRate: string;
  out: string;
  json: boolean;
  quiet: boolean;
}): void {
  const result = generateServicedeskDatabase({
    tickets: Number(flags.tickets),
    seed: Number(flags.seed),
    defectRate: Number(flags.defectRate),
    out: flags.out,
    onProgress: flags.quiet ? undefined : (done, total) => process.stderr.write(`[generate] ${done}/${total} tickets\n`),
  });
  print(flags, result, [
    `${result.path}: ${Object.entries(result.rows)
      .map(([t, r]) => `${t} ${r}`)
      .join(", ")}; ${result.bytes} bytes`,
  ]);
}
