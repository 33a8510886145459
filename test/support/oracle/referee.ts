/** PostgreSQL as the referee: the session settings, the pg_temp function, and the batches of asked texts. */

import type { Client } from "pg";

const REFEREE_BATCH = 20_000;

/**
 * PostgreSQL's input functions as the referee: one canonical text per kind, an
 * input error turned into a refusal (PostgreSQL 15 has no pg_input_is_valid).
 */
const REFEREE_SQL = `
CREATE OR REPLACE FUNCTION pg_temp.oracle_referee(kind text, src text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  result text;
BEGIN
  CASE kind
    WHEN 'bigint' THEN result := src::bigint::text;
    WHEN 'numeric' THEN result := trim_scale(src::numeric)::text;
    WHEN 'numeric of float8' THEN result := trim_scale(src::float8::text::numeric)::text;
    WHEN 'float8' THEN result := src::float8::text;
    WHEN 'float8 bytes' THEN result := encode(convert_to(src::float8::text, 'UTF8'), 'hex');
    WHEN 'boolean' THEN result := src::boolean::text;
    WHEN 'instant' THEN result := trim_scale(extract(epoch from src::timestamptz))::text;
    ELSE EXECUTE format('SELECT $1::%s::text', substr(kind, 6)) INTO result USING src;
  END CASE;
  RETURN '=' || result;
EXCEPTION WHEN data_exception THEN
  RETURN '!' || SQLERRM;
END
$fn$`;

export async function prepareSession(client: Client, timezone: string): Promise<void> {
  // extra_float_digits 1 = shortest exact float output, whatever the server's configuration says.
  await client.query(
    "SELECT set_config('TimeZone', $1, false), set_config('extra_float_digits', '1', false), " +
      "set_config('DateStyle', 'ISO, DMY', false), set_config('IntervalStyle', 'postgres', false)",
    [timezone],
  );
  await client.query(REFEREE_SQL);
}

/** Answers every Ask: kind -> text -> canonical value. Distinct texts only, in batches. */
export async function referee(client: Client, asks: Map<string, Set<string>>): Promise<Map<string, Map<string, string>>> {
  const answers = new Map<string, Map<string, string>>();
  for (const [kind, texts] of asks) {
    // The slash-date reading is a session setting, so it is set around its batch rather than per value.
    const instant = kind.startsWith("instant ");
    if (instant) await client.query("SELECT set_config('DateStyle', $1, false)", [`ISO, ${kind.slice(8)}`]);
    const list = [...texts];
    const byText = new Map<string, string>();
    for (let start = 0; start < list.length; start += REFEREE_BATCH) {
      const batch = list.slice(start, start + REFEREE_BATCH);
      const result = await client.query<{ r: string }>(
        "SELECT pg_temp.oracle_referee($1, s) AS r FROM unnest($2::text[]) WITH ORDINALITY AS u(s, i) ORDER BY i",
        [instant ? "instant" : kind, batch],
      );
      result.rows.forEach((row, i) => byText.set(batch[i], row.r));
    }
    answers.set(kind, byText);
  }
  await client.query("SELECT set_config('DateStyle', 'ISO, DMY', false)");
  return answers;
}
