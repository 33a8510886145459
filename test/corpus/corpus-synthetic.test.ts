/**
 * The corpus databases of our own (values past the sample, schema shapes,
 * keyless non-ASCII rows, a WAL whose writer stopped) in every mode,
 * through the CLI: see corpus-cases.ts for what each run must show.
 */
import { CORPUS, CORPUS_MODES } from "../support/corpus";
import { useTestDatabase } from "../support/database";
import { CorpusOutcome, runCorpusCase } from "./corpus-cases";
import { outcomeTable } from "./corpus-outcomes";

const OWN = CORPUS.filter((db) => !["chinook", "northwind"].includes(db.name) && !db.name.startsWith("pgloader "));
const database = useTestDatabase("corpus_own");
const outcomes: CorpusOutcome[] = [];

afterAll(() => {
  console.log(`corpus, databases of our own:\n${outcomeTable(outcomes)}`);
});

describe.each(OWN.map((db, index) => ({ db, index })))("$db.name", ({ db, index }) => {
  it.each(CORPUS_MODES)("%s mode", async (mode) => {
    outcomes.push(await runCorpusCase({ database: db, mode, prefix: `corpus_o${index}_${mode.replace("-", "")}`, url: database.url }));
  });
});
