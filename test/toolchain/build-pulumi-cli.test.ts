/**
 * scripts/build-pulumi-cli.sh as a first-time user meets it, with a stand-in
 * `go` first on PATH (the real build takes minutes and is exercised by every
 * Pulumi test through the cache it fills): a few stage lines instead of Go's
 * output, progress while a stage runs, a failure that shows Go's error, and
 * a prebuilt folder carried to another machine with --export / --from.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../support/pulumi";

const SCRIPT = path.join(PROJECT_ROOT, "scripts/build-pulumi-cli.sh");
const VERSION = readFileSync(path.join(PROJECT_ROOT, "toolchain/go.mod"), "utf8").match(/github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/)![1];

// `go env GOMODCACHE`, `go list` (downloads: chatter on stderr, a file in the
// module cache) and `go build -o OUT` (an executable answering `version` with
// the version stamped by -ldflags). STUB_GO_FAIL=build makes the build fail.
const STUB_GO = `#!/usr/bin/env bash
set -euo pipefail
case "$1" in
  env) echo "$STUB_GO_MODCACHE" ;;
  list)
    for i in 1 2 3; do echo "go: downloading example.com/module$i v1.0.$i" >&2; done
    mkdir -p "$STUB_GO_MODCACHE" && head -c 3145728 /dev/zero >"$STUB_GO_MODCACHE/module.zip"
    sleep "$STUB_GO_SECONDS"
    echo example.com/module1/pkg ;;
  build)
    if [[ "\${STUB_GO_FAIL:-}" == build ]]; then echo "cmd/pulumi: undefined: example.Thing" >&2; exit 1; fi
    out="" version=""
    while (($#)); do
      case "$1" in
        -o) out=$2; shift ;;
        -ldflags) version=$(sed -E 's/.*[Vv]ersion=v?([^ ]+).*/\\1/' <<<"$2"); shift ;;
      esac
      shift
    done
    sleep "$STUB_GO_SECONDS"
    printf '#!/bin/sh\\necho v%s\\n' "$version" >"$out" && chmod +x "$out" ;;
  *) echo "stub go: unexpected $*" >&2; exit 2 ;;
esac
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe("scripts/build-pulumi-cli.sh", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sdm-cli-build-"));
    mkdirSync(path.join(dir, "path"));
    writeFileSync(path.join(dir, "path/go"), STUB_GO);
    chmodSync(path.join(dir, "path/go"), 0o755);
    env = {
      ...process.env,
      PATH: `${path.join(dir, "path")}:${process.env.PATH}`,
      PULUMI_CLI_CACHE: path.join(dir, "cache"),
      PULUMI_CLI_PROGRESS_SECONDS: "1",
      STUB_GO_MODCACHE: path.join(dir, "modcache"),
      STUB_GO_SECONDS: "2",
    };
    delete env.PULUMI_CLI_PREBUILT;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const build = (...args: string[]): Run => spawnSync("bash", [SCRIPT, ...args], { env, encoding: "utf8", timeout: 60_000 });

  test("a first build prints its stages and progress, not Go's output, and the bin folder last", () => {
    const run = build();
    expect(run.status).toBe(0);
    const bin = run.stdout.trim().split("\n").pop()!;
    expect(bin).toMatch(new RegExp(`^${path.join(dir, "cache")}/v${VERSION.replace(/\./g, "\\.")}-[0-9a-f]{12}/bin$`));
    const lines = run.stderr.trim().split("\n");
    expect(run.stderr).not.toContain("go: downloading");
    expect(lines[0]).toContain(`building Pulumi CLI v${VERSION} from the Go module proxy; Go's output: `);
    expect(run.stderr).toMatch(/1\/3 downloading Go modules \(about 1\.4 GB into an empty cache; 0 MB there now\)/);
    expect(run.stderr).toMatch(/ {2}downloading Go modules: \d+s, [34] MB in the Go module cache/);
    expect(run.stderr).toMatch(/1\/3 downloaded [34] MB in \d+s/);
    expect(run.stderr).toMatch(/ {2}compiling the Pulumi CLI: \d+s/);
    expect(run.stderr).toMatch(/2\/3 compiled the CLI in \d+s/);
    expect(run.stderr).toMatch(/3\/3 building the Node.js language host/);
    expect(lines[lines.length - 1]).toMatch(/done in \d+s: \S+ in /);
    // A handful of lines, with ticks every second of 2 s stages: not hundreds.
    expect(lines.length).toBeLessThanOrEqual(16);
    // Go's output is kept in the log the first line names.
    const log = readFileSync(path.join(dir, "cache", `build-v${VERSION}.log`), "utf8");
    expect(log).toContain("go: downloading example.com/module2 v1.0.2");
    expect(log).not.toContain("example.com/module1/pkg"); // the package list is dropped
    expect(spawnSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).stdout.trim()).toBe(`v${VERSION}`);
    expect(readFileSync(path.join(bin, "BUILD-INFO"), "utf8")).toMatch(new RegExp(`^pulumi v${VERSION}\nhost [0-9a-f]{12}\n`));
    expect(existsSync(path.join(bin, "pulumi-resource-pulumi-nodejs"))).toBe(true);

    // The second call finds it and prints only the folder.
    const again = build();
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe(bin);
    expect(again.stderr).toBe("");
  });

  test("a failing stage names itself and shows Go's error; nothing is installed", () => {
    env.STUB_GO_FAIL = "build";
    env.STUB_GO_SECONDS = "0";
    const run = build();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/compiling the Pulumi CLI failed after \d+s; the last lines of .*build-v.*\.log:/);
    expect(run.stderr).toContain("cmd/pulumi: undefined: example.Thing");
    const printed = build("--print").stdout.trim();
    expect(existsSync(printed)).toBe(false);
  });

  test("--export writes a tarball that --from installs on another machine, checked against the pinned version", () => {
    env.STUB_GO_SECONDS = "0";
    const tarball = path.join(dir, "pulumi-cli.tar.gz");
    const exported = build("--export", tarball);
    expect(exported.status).toBe(0);
    expect(exported.stderr).toContain(`wrote ${tarball}`);

    // "Another machine": an empty cache and no Go at all on PATH.
    env.PULUMI_CLI_CACHE = path.join(dir, "other-cache");
    env.PATH = `/usr/bin:/bin`;
    const installed = build("--from", tarball);
    expect(installed.status).toBe(0);
    expect(installed.stderr).toContain(`installed the prebuilt CLI from ${tarball}`);
    const bin = installed.stdout.trim().split("\n").pop()!;
    expect(bin.startsWith(path.join(dir, "other-cache"))).toBe(true);
    expect(spawnSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).stdout.trim()).toBe(`v${VERSION}`);
    // Now present: a plain call reuses it without Go.
    expect(build().stdout.trim()).toBe(bin);

    // A folder holding another version is refused, naming both.
    const stale = path.join(dir, "stale");
    mkdirSync(stale);
    for (const name of ["pulumi", "pulumi-language-nodejs"]) {
      writeFileSync(path.join(stale, name), "#!/bin/sh\necho v3.100.0\n");
      chmodSync(path.join(stale, name), 0o755);
    }
    env.PULUMI_CLI_CACHE = path.join(dir, "third-cache");
    const refused = build("--from", stale);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`prebuilt CLI ${stale}: pulumi version is 'v3.100.0', this project pins v${VERSION}`);

    // A host built from other sources is refused too.
    writeFileSync(path.join(stale, "pulumi"), `#!/bin/sh\necho v${VERSION}\n`);
    writeFileSync(path.join(stale, "BUILD-INFO"), `pulumi v${VERSION}\nhost 000000000000\n`);
    const otherHost = build("--from", stale);
    expect(otherHost.status).toBe(1);
    expect(otherHost.stderr).toContain("its language host was built from other sources than toolchain/");
    expect(existsSync(build("--print").stdout.trim())).toBe(false);
  });
});
