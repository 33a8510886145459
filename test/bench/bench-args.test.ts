import { BenchArgsError, parseBenchArgs } from "../../bench/args";

describe("parseBenchArgs", () => {
  it("defaults to 100k tickets, seed 1, every contender but the backup codecs, the local server", () => {
    expect(parseBenchArgs([])).toEqual({
      tickets: 100_000,
      seed: 1,
      databaseUrl: "postgresql://postgres@127.0.0.1:5432/postgres",
      only: ["floor", "simple", "streams", "complete", "pgloader"],
      dataDirectory: ".data/bench",
      timeoutSeconds: 3600,
      quietWaitSeconds: 60,
    });
  });

  it("reads --tickets, --seed, --only in run order, and the rest", () => {
    const options = parseBenchArgs([
      "--tickets",
      "1000000",
      "--seed=7",
      "--only",
      "pgloader,codecs,floor",
      "--data-dir",
      "/tmp/x",
      "--timeout",
      "60",
      "--quiet-wait",
      "0",
    ]);
    expect(options).toMatchObject({
      tickets: 1_000_000,
      seed: 7,
      only: ["floor", "pgloader", "codecs"],
      dataDirectory: "/tmp/x",
      timeoutSeconds: 60,
      quietWaitSeconds: 0,
    });
  });

  it("returns null for --help", () => {
    expect(parseBenchArgs(["--help"])).toBeNull();
    expect(parseBenchArgs(["-h"])).toBeNull();
  });

  it.each([
    [["--tickets", "0"], /--tickets must be a whole number of at least 1, got "0"/],
    [["--tickets", "1e6"], /--tickets must be a whole number/],
    [["--tickets", "-5"], /--tickets/],
    [["--seed", "x"], /--seed must be a whole number of at least 0/],
    [
      ["--only", "floor,bogus"],
      /--only takes a comma-separated list of floor, simple, streams, complete, pgloader, codecs; got "floor,bogus"/,
    ],
    [["--database-url", "mysql://x"], /--database-url must be a postgresql:\/\/ URL/],
    [["--tikets", "5"], /Unknown option '--tikets'/],
    [["extra"], /positional/i],
  ])("rejects %j", (argv, message) => {
    expect(() => parseBenchArgs(argv as string[])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(argv as string[])).toThrow(message);
  });
});
