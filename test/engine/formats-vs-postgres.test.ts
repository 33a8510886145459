/**
 * The converters promise PostgreSQL's own text output, because validation
 * hashes what the loader sent against what the server prints back. These
 * property-style tests hold thousands of seeded random values against the
 * server itself, in batches: float8 output, numeric rounding, timestamp,
 * timestamptz and date rendering, epoch instants, and naive times in zones
 * with daylight saving (the gaps and repeats included).
 */
import { Client } from "pg";
import { SeededRandom } from "../../engine/generate";
import { Rejection, Widening } from "../../engine/types/conversion";
import { formatFloat8 } from "../../engine/formats/numbers";
import { numericConverter } from "../../engine/types/scalars";
import { DEFAULT_DATE_RANGE, NumberReading } from "../../engine/formats/number-readings";
import { temporalConverter, TemporalTarget } from "../../engine/types/temporal";

/** A temporal column whose sample held no date number. */
const NO_DATE_NUMBERS = { reading: null, stated: false, range: DEFAULT_DATE_RANGE };
import { TIMESTAMP_VARIANTS, VARIANTS_BY_LABEL } from "../../engine/formats/timestamp-formats";
import { useTestDatabase } from "../support/database";

let client: Client;
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await client?.end();
});
const database = useTestDatabase("formats");
const BATCH = 2000;

beforeAll(async () => {
  client = new Client({ connectionString: database.url });
  await client.connect();
  for (const setting of ["SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET extra_float_digits = 1"]) await client.query(setting);
  // The server's verdict on one value: its text in the type, or ERROR when it refuses it.
  await client.query(`CREATE FUNCTION pg_temp.render(value text, type text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE result text;
    BEGIN
      EXECUTE format('SELECT (%L::%s)::text', value, type) INTO result;
      RETURN result;
    EXCEPTION WHEN data_exception THEN RETURN 'ERROR';
    END $$`);
  // Whether the type holds the value exactly: what it stores equals the value itself.
  await client.query(`CREATE FUNCTION pg_temp.holds(value text, type text) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE result boolean;
    BEGIN
      EXECUTE format('SELECT %L::numeric = (%L::%s)::numeric', value, value, type) INTO result;
      RETURN result;
    EXCEPTION WHEN data_exception THEN RETURN false;
    END $$`);
});

/** Runs `sql` over `values` ($1 is a text[], then `more` arrays as $2...) in batches; one text per value, in order. */
async function serverTexts(
  sql: string,
  values: readonly string[],
  more: readonly (readonly string[])[] = [],
  scalars: unknown[] = [],
): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < values.length; i += BATCH) {
    const params = [values.slice(i, i + BATCH), ...more.map((m) => m.slice(i, i + BATCH)), ...scalars];
    const { rows } = await client.query<{ out: string | null }>(sql, params);
    out.push(...rows.map((r) => r.out));
  }
  return out;
}

/** The values on which engine and server disagree, a few shown (an empty list is the pass). */
function disagreements<T>(
  inputs: readonly T[],
  ours: readonly (string | null)[],
  theirs: readonly (string | null)[],
): { input: T; ours: string | null; server: string | null }[] {
  expect(ours).toHaveLength(theirs.length);
  return inputs
    .map((input, i) => ({ input, ours: ours[i], server: theirs[i] }))
    .filter((d) => d.ours !== d.server)
    .slice(0, 10);
}

const ourText = (result: string | Rejection): string =>
  result instanceof Widening ? "WIDEN" : result instanceof Rejection ? "ERROR" : result;

describe("float8 output", () => {
  function bitsOf(value: number): string {
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleBE(value);
    return buffer.toString("hex");
  }

  function fromBits(random: SeededRandom, exponent?: number): number {
    const buffer = Buffer.alloc(8);
    buffer.writeUInt32BE(random.uint32(), 0);
    buffer.writeUInt32BE(random.uint32(), 4);
    if (exponent !== undefined) buffer.writeUInt16BE((buffer.readUInt16BE(0) & 0x800f) | (exponent << 4), 0);
    return buffer.readDoubleBE(0);
  }

  function doubles(): number[] {
    const random = new SeededRandom(20240601);
    const values: number[] = [
      0,
      -0,
      1,
      -1,
      0.1,
      0.2,
      0.1 + 0.2,
      1 / 3,
      2 / 3,
      Math.PI,
      Math.E,
      100,
      1e15,
      1e15 - 1,
      1e15 + 1,
      999999999999999.9,
      1e16,
      1e21,
      1e22,
      123456789012345680000,
      1e-4,
      1e-5,
      0.0001,
      0.00009999999999999999,
      0.00012345,
      9.999999999999999e-5,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      2.2250738585072014e-308,
      2.225073858507201e-308,
      Number.EPSILON,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 63,
      2 ** 64,
      5e-324,
      1.7976931348623157e308,
      4.9406564584124654e-324,
      1.5,
      2.5,
      0.5,
      99.99,
      19.99,
      1234.5678,
      Infinity,
      -Infinity,
      NaN,
    ];
    for (let i = 0; i < 2500; i++) {
      const v = fromBits(random);
      if (!Number.isNaN(v)) values.push(v);
    }
    for (let i = 0; i < 400; i++) values.push(fromBits(random, 0)); // subnormals (and signed zeros)
    for (let i = 0; i < 400; i++) values.push(fromBits(random, random.int(1, 60)), fromBits(random, random.int(1987, 2046))); // tiny and huge
    for (let i = 0; i < 1500; i++) values.push((random.int(-1e9, 1e9) / 10 ** random.int(0, 12)) * (random.chance(0.1) ? 1e10 : 1)); // decimal-looking
    for (let i = 0; i < 500; i++) values.push(random.float() * 10 ** random.int(12, 17)); // around the fixed/exponent switch at 1e15
    // Integers above 2^53, where JavaScript's shortest digits can sit exactly on a rounding bound and PostgreSQL's never do.
    values.push(2247343195034736128, -70848504179662864, 2 ** 60, 2 ** 54 + 8);
    for (let i = 0; i < 1500; i++)
      values.push((random.uint32() * 2 ** 21 + (random.uint32() >>> 11)) * 2 ** random.int(1, 140) * (random.chance(0.5) ? -1 : 1));
    return values;
  }

  it("equals PostgreSQL's float8out for 7,200 doubles: random bits, subnormals, huge, tiny, -0, the 1e15 and 1e-4 edges, integers past 2^53", async () => {
    const values = doubles();
    expect(values.length).toBeGreaterThan(7200);
    // 17 significant digits pin the exact double; the server's bits confirm it parsed the same one.
    const inputs = values.map((v) => (Object.is(v, -0) ? "-0" : Number.isFinite(v) ? v.toPrecision(17) : String(v)));
    const sql = `SELECT (v::float8)::text || ' ' || encode(float8send(v::float8), 'hex') AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`;
    const server = await serverTexts(sql, inputs);
    const serverBits = server.map((s) => s!.split(" ")[1]);
    const sameDouble = values.filter((v, i) => !Number.isNaN(v) && serverBits[i] !== bitsOf(v));
    expect(sameDouble).toEqual([]);
    expect(
      disagreements(
        values.map(String),
        values.map(formatFloat8),
        server.map((s) => s!.split(" ")[0]),
      ),
    ).toEqual([]);
  });
});

describe("numeric(p,s) rounding", () => {
  const TYPMODS: readonly [number, number][] = [
    [10, 2],
    [6, 2],
    [12, 4],
    [5, 0],
    [3, 1],
    [4, 4],
    [20, 10],
    [38, 15],
    [18, 0],
  ];

  function decimalLiteral(random: SeededRandom, precision: number, scale: number): string {
    const integerDigits = random.int(0, precision - scale + 1);
    const fractionDigits = random.int(0, scale + 4);
    const digits = (n: number) => Array.from({ length: n }, () => String(random.int(0, 9))).join("");
    let integer = digits(integerDigits) || "0";
    if (random.chance(0.1)) integer = `00${integer}`;
    let fraction = digits(fractionDigits);
    // Ties and carries: ...5 exactly one past the scale, runs of 9 that roll over.
    if (random.chance(0.2) && fraction.length > scale) fraction = fraction.slice(0, scale) + "5";
    if (random.chance(0.1)) {
      integer = "9".repeat(Math.max(precision - scale, 1));
      fraction = "9".repeat(scale) + "5";
    }
    const sign = random.chance(0.4) ? "-" : "";
    return fraction.length > 0 ? `${sign}${integer}.${fraction}` : `${sign}${integer}`;
  }

  it("stores what PostgreSQL stores wherever the type holds the value exactly, and widens wherever it would round or overflow, for 4,500 literals", async () => {
    const random = new SeededRandom(7);
    const inputs: { literal: string; type: string }[] = [];
    for (const [precision, scale] of TYPMODS) {
      const type = `numeric(${precision},${scale})`;
      for (const literal of ["0", "-0", "-0.001", "0.005", "-0.005", "0.0049999", "9.995", "-9.995", "12.345", "-12.345", "1.500", "-0.10"])
        inputs.push({ literal, type });
      for (let i = 0; i < 500; i++) inputs.push({ literal: decimalLiteral(random, precision, scale), type });
    }
    const server: string[] = [];
    for (let i = 0; i < inputs.length; i += BATCH) {
      const batch = inputs.slice(i, i + BATCH);
      const { rows } = await client.query<{ out: string }>(
        `SELECT CASE WHEN pg_temp.holds(v, t) THEN pg_temp.render(v, t) ELSE 'WIDEN' END AS out FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(v, t, i) ORDER BY i`,
        [batch.map((x) => x.literal), batch.map((x) => x.type)],
      );
      server.push(...rows.map((r) => r.out));
    }
    const ours = inputs.map(({ literal, type }) => {
      const [, p, s] = /numeric\((\d+),(\d+)\)/.exec(type)!;
      return ourText(numericConverter(Number(p), Number(s))(literal));
    });
    expect(server.filter((s) => s === "WIDEN").length).toBeGreaterThan(1000); // rounding and overflow were exercised
    expect(server.filter((s) => s !== "WIDEN").length).toBeGreaterThan(1000); // and exact fits
    expect(disagreements(inputs, ours, server)).toEqual([]);
  });

  it("keeps unconstrained numeric exact, whatever the length", async () => {
    const random = new SeededRandom(11);
    const literals = Array.from({ length: 500 }, () => decimalLiteral(random, random.int(1, 60), random.int(0, 30)));
    const server = await serverTexts(
      `SELECT pg_temp.render(v, 'numeric') AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
      literals,
    );
    expect(
      disagreements(
        literals,
        literals.map((l) => ourText(numericConverter(null, 0)(l))),
        server,
      ),
    ).toEqual([]);
  });
});

describe("timestamps", () => {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");

  interface Stamp {
    text: string;
    zoned: boolean;
  }

  /** A random instant written in a random ISO variant the engine recognises. */
  function isoStamp(random: SeededRandom, years: [number, number]): Stamp {
    const variants = TIMESTAMP_VARIANTS.filter((v) => v.order === "ymd" && v.hasTime);
    const variant = random.pick(variants);
    const year = random.int(...years);
    const month = random.int(1, 12);
    const day = random.int(1, random.chance(0.3) ? 31 : 28); // some invalid days: 30 February, 31 April
    const time = `${pad(random.int(0, 23))}:${pad(random.int(0, 59))}`;
    const seconds = `:${pad(random.int(0, 59))}`;
    const fraction = /\.(f+)/.exec(variant.label)?.[1].length ?? 0;
    const offsetHours = random.int(0, 15);
    const offsetSign = random.chance(0.5) ? "+" : "-";
    const sep = variant.label.includes("T") ? "T" : " ";
    let text = `${pad(year, 4)}-${pad(month)}-${pad(day)}${sep}${time}`;
    if (variant.label.includes("SS")) text += seconds;
    if (fraction > 0) text += `.${Array.from({ length: fraction }, () => random.int(0, 9)).join("")}`;
    if (variant.label.endsWith("Z")) text += "Z";
    else if (variant.label.endsWith("+HH:MM")) text += `${offsetSign}${pad(offsetHours)}:${pad(random.pick([0, 30, 45]))}`;
    else if (variant.label.endsWith("+HHMM")) text += `${offsetSign}${pad(offsetHours)}${pad(random.pick([0, 30, 45]))}`;
    return { text, zoned: variant.hasZone };
  }

  function convert(text: string, target: TemporalTarget, zone: string | null = null): string {
    const variants = TIMESTAMP_VARIANTS.filter((v) => v.order !== "mdy");
    const spec = { target, variants, numbers: NO_DATE_NUMBERS, naiveZone: zone };
    return ourText(
      temporalConverter(
        spec,
        undefined,
        (wider, reason) =>
          new Widening({ kind: "temporal", target: wider, variants: [], numbers: NO_DATE_NUMBERS, naiveZone: zone }, reason),
      )(text),
    );
  }

  /** The engine refuses what it cannot print as PostgreSQL would in years 1-9999 (BC, five-digit years). */
  const serverOrRefused = (server: (string | null)[]) =>
    server.map((s) => (s !== null && (s.endsWith(" BC") || /^\d{5}/.test(s)) ? "ERROR" : s));

  it("renders 4,000 ISO texts (T or space, fractions, Z, offsets, years 1-9999) as timestamp and timestamptz", async () => {
    const random = new SeededRandom(42);
    const stamps = Array.from({ length: 4000 }, (_, i) =>
      isoStamp(random, i % 10 === 0 ? [1, 30] : i % 10 === 1 ? [9970, 9999] : [1000, 2100]),
    );
    const texts = stamps.map((s) => s.text);
    for (const target of ["timestamptz", "timestamp"] as const) {
      const server = await serverTexts(
        `SELECT pg_temp.render(v, '${target}') AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
        texts,
      );
      expect(server.filter((s) => s === "ERROR").length).toBeGreaterThan(10); // invalid days were exercised
      // PostgreSQL's timestamp input drops an offset; the engine widens the column to timestamptz instead.
      const expected = serverOrRefused(server).map((s, i) => (target === "timestamp" && stamps[i].zoned && s !== "ERROR" ? "WIDEN" : s));
      if (target === "timestamp") expect(expected.filter((s) => s === "WIDEN").length).toBeGreaterThan(1000);
      expect(
        disagreements(
          texts,
          texts.map((t) => convert(t, target)),
          expected,
        ),
      ).toEqual([]);
    }
  });

  it("renders 2,000 dates and day-first slash dates as PostgreSQL parses them", async () => {
    const random = new SeededRandom(5);
    const isoDates: string[] = [];
    const slash: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const [y, m, d] = [random.int(1, 9999), random.int(1, 12), random.int(1, 31)];
      isoDates.push(`${pad(y, 4)}-${pad(m)}-${pad(d)}`);
      slash.push(
        `${pad(d)}/${pad(m)}/${pad(random.int(1900, 2100), 4)}${random.chance(0.5) ? ` ${pad(random.int(0, 23))}:${pad(random.int(0, 59))}` : ""}`,
      );
    }
    const dates = await serverTexts(
      `SELECT pg_temp.render(v, 'date') AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
      isoDates,
    );
    expect(
      disagreements(
        isoDates,
        isoDates.map((t) => convert(t, "date")),
        dates,
      ),
    ).toEqual([]);
    await client.query("SET DateStyle = 'ISO, DMY'");
    try {
      const stamps = await serverTexts(
        `SELECT pg_temp.render(v, 'timestamp') AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
        slash,
      );
      expect(
        disagreements(
          slash,
          slash.map((t) => convert(t, "timestamp")),
          stamps,
        ),
      ).toEqual([]);
    } finally {
      await client.query("SET DateStyle = 'ISO, YMD'");
    }
  });

  it("renders epoch seconds and milliseconds as the instants PostgreSQL computes", async () => {
    const random = new SeededRandom(9);
    const millis = Array.from({ length: 2000 }, () => random.int(-62135596800, 253402300799) * 1000 + random.int(0, 999));
    const seconds = Array.from(
      { length: 2000 },
      () => random.int(-2208988800, 4102444800) + (random.chance(0.5) ? random.int(0, 999999) / 1e6 : 0),
    );
    // Stated readings: every number is read so, whatever its magnitude or year.
    const stated = (reading: NumberReading) => ({ reading, stated: true, range: DEFAULT_DATE_RANGE });
    const fromMillis = temporalConverter({ target: "timestamptz", variants: [], numbers: stated("unix-ms"), naiveZone: null });
    const fromSeconds = temporalConverter({ target: "timestamptz", variants: [], numbers: stated("unix-s"), naiveZone: null });
    const serverMillis = await serverTexts(
      // Whole seconds and the milliseconds apart: an interval times a bigint goes through a double, inexact past 2^53 microseconds.
      `SELECT (timestamptz 'epoch' + (v::bigint / 1000) * interval '1 second' + (v::bigint % 1000) * interval '1 millisecond')::text AS out
       FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
      millis.map(String),
    );
    expect(
      disagreements(
        millis,
        millis.map((n) => ourText(fromMillis(n))),
        serverOrRefused(serverMillis),
      ),
    ).toEqual([]);
    // The exact instant of each double, rounded to the microsecond in numeric arithmetic.
    // (to_timestamp() is no oracle: it moves to PostgreSQL's 2000 epoch in floating
    // point first, and lands a microsecond off for many instants before 2000.)
    const serverSeconds = await serverTexts(
      `SELECT (timestamptz 'epoch' + round(v::numeric * 1000000)::bigint * interval '1 microsecond')::text AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
      seconds.map((n) => n.toPrecision(17)),
    );
    expect(
      disagreements(
        seconds,
        seconds.map((n) => ourText(fromSeconds(n))),
        serverSeconds,
      ),
    ).toEqual([]);
  });

  /** Offset east of UTC, in minutes, of `zone` at an instant (only to find where transitions are). */
  function offsetAt(zone: string, ms: number): number {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
      })
        .formatToParts(new Date(ms))
        .map((p) => [p.type, Number(p.value)]),
    );
    return Math.round(
      (Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - Math.floor(ms / 60000) * 60000) / 60000,
    );
  }

  /** Naive wall-clock texts every 15 minutes over the two days around each transition, plus random ones. */
  function wallTimes(zone: string, random: SeededRandom): string[] {
    const texts: string[] = [];
    const text = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
    for (let day = Date.UTC(2019, 0, 1); day < Date.UTC(2025, 0, 1); day += 86_400_000) {
      if (offsetAt(zone, day) === offsetAt(zone, day + 86_400_000)) continue;
      for (let ms = day - 86_400_000; ms <= day + 2 * 86_400_000; ms += 15 * 60_000) texts.push(text(ms + random.int(0, 14) * 60_000));
    }
    for (let i = 0; i < 400; i++) texts.push(text(random.int(Date.UTC(1971, 0, 1) / 1000, Date.UTC(2037, 0, 1) / 1000) * 1000));
    return texts;
  }

  it.each([
    "Europe/Paris",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
  ])("reads naive times in %s as PostgreSQL's AT TIME ZONE does, gaps and repeats included", async (zone) => {
    const texts = wallTimes(zone, new SeededRandom(zone.length));
    const server = await serverTexts(
      `SELECT (v::timestamp AT TIME ZONE $2)::text AS out FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
      texts,
      [],
      [zone],
    );
    const converter = temporalConverter({
      target: "timestamptz",
      variants: [VARIANTS_BY_LABEL.get("YYYY-MM-DD HH:MM:SS")!],
      numbers: NO_DATE_NUMBERS,
      naiveZone: zone,
    });
    expect(
      disagreements(
        texts,
        texts.map((t) => ourText(converter(t))),
        server,
      ),
    ).toEqual([]);
  });
});
