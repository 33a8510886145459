/**
 * The public databases of the corpus (Chinook, Northwind, pgloader's
 * regression files) in every mode, through the CLI: see corpus-cases.ts for
 * what each run must show.
 */
import { CORPUS, CORPUS_MODES } from "../support/corpus";
import { useTestDatabase } from "../support/database";
import { CorpusOutcome, runCorpusCase } from "./corpus-cases";
import { outcomeTable } from "./corpus-outcomes";

const PUBLIC = CORPUS.filter((db) => ["chinook", "northwind"].includes(db.name) || db.name.startsWith("pgloader "));
const database = useTestDatabase("corpus_public");
const outcomes: CorpusOutcome[] = [];

afterAll(() => {
  console.log(`corpus, public databases:\n${outcomeTable(outcomes)}`);
});

describe.each(PUBLIC.map((db, index) => ({ db, index })))("$db.name", ({ db, index }) => {
  it.each(CORPUS_MODES)("%s mode", async (mode) => {
    outcomes.push(await runCorpusCase({ database: db, mode, prefix: `corpus_p${index}_${mode.replace("-", "")}`, url: database.url }));
  });
});
