/**
 * The shape of ServicedeskDatabase's resource graph, with Pulumi mocks (the
 * postgresql and docker provider plugins cannot be installed offline): what
 * it creates with and without the reporting role and the local container,
 * and how they are wired. The lifecycle itself is tested through the real
 * CLI in test/pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type.endsWith("ServicedeskMigration")) state.stableSchema = args.inputs.schemaPrefix ?? "servicedesk";
      if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = "sha256:postgres";
      if (args.type === "postgresql:index/role:Role") state.name = args.inputs.name;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "servicedesk-migration",
  "unit",
  false,
);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ServicedeskDatabase } = require("../../components") as typeof import("../../components");

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Resources register as their inputs resolve: wait until `count` of `type` have. */
async function registeredOf(type: string, count: number): Promise<Registered[]> {
  for (let i = 0; i < 100; i++) {
    const found = registered.filter((r) => r.type === type);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${count} resources of type ${type} never registered`);
}

/** Inputs as the engine receives them, with secret wrappers ({<sig>: ..., value}) unwrapped. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return plain(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function secretness(value: unknown): boolean {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

describe("ServicedeskDatabase resource graph", () => {
  let sources: SourceFolder;
  let source: string;

  beforeAll(() => {
    sources = sourceFolder();
    source = sources.make("unit.sqlite", { tickets: 200, seed: 5 }).path;
  });
  afterAll(() => sources.cleanup());
  beforeEach(() => registered.splice(0));

  test("by default: the component and the migration, with the digest and schema plan computed from the export", async () => {
    const db = new ServicedeskDatabase("plain", {
      source,
      connection: pulumi.secret("postgresql://app:secret@db:5432/app"),
      migration: { schemaPrefix: "unitsd" },
    });
    await settled(db.migration.urn);
    const types = registered.map((r) => r.type).sort();
    expect(types).toEqual(["pulumi-nodejs:dynamic/servicedesk:ServicedeskMigration", "servicedesk:index:ServicedeskDatabase"]);
    const migration = registered.find((r) => r.type.endsWith("ServicedeskMigration"))!;
    expect(migration.name).toBe("plain-migration");
    expect(migration.inputs.sourceDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(migration.inputs.schemaPlan as object).sort()).toEqual(["comments", "tickets", "timesheets"]);
    expect((migration.inputs.schemaPlan as Record<string, { columns: Record<string, string> }>).tickets.columns.created_at).toBe(
      "timestamp without time zone",
    );
    expect(migration.inputs.owner).toBe("pulumi:servicedesk-migration/unit");
    expect(migration.inputs.schemaPrefix).toBe("unitsd");
    expect(await settled(db.reportingRoleName)).toBeUndefined();
  });

  test("with the reporting role: a postgresql provider from the connection, a login role, USAGE and SELECT grants on the stable schema, and on views later cutovers create", async () => {
    const db = new ServicedeskDatabase("reporting", {
      source,
      connection: pulumi.secret("postgresql://owner:s3cret@db.internal:6543/reports?sslmode=verify-full"),
      migration: { schemaPrefix: "unitsd" },
      reportingRole: { name: "dashboards", password: pulumi.secret("reader-pass") },
    });
    expect(await settled(db.reportingRoleName)).toBe("dashboards");
    const provider = registered.find((r) => r.type === "pulumi:providers:postgresql")!;
    expect(plain(provider.inputs)).toMatchObject({
      host: "db.internal",
      port: "6543",
      username: "owner",
      database: "reports",
      sslmode: "verify-full",
    });
    // Everything derived from the secret connection stays secret.
    expect(secretness(provider.inputs.password)).toBe(true);
    expect(secretness(provider.inputs.host)).toBe(true);
    const role = registered.find((r) => r.type === "postgresql:index/role:Role")!;
    expect(plain(role.inputs)).toMatchObject({ name: "dashboards", login: true, password: "reader-pass" });
    expect(secretness(role.inputs.password)).toBe(true);
    const grants = (await registeredOf("postgresql:index/grant:Grant", 2)).map((g) => plain(g.inputs));
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ role: "dashboards", schema: "unitsd", objectType: "schema", privileges: ["USAGE"], database: "reports" }),
        expect.objectContaining({ role: "dashboards", schema: "unitsd", objectType: "table", privileges: ["SELECT"], database: "reports" }),
      ]),
    );
    const future = registered.find((r) => r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges")!;
    expect(plain(future.inputs)).toMatchObject({
      role: "dashboards",
      owner: "owner",
      schema: "unitsd",
      objectType: "table",
      privileges: ["SELECT"],
      database: "reports",
    });
  });

  test("with a local container: an image, a container on port 5433, and the migration pointed at it", async () => {
    const db = new ServicedeskDatabase("local", { source, localPostgres: { password: pulumi.secret("dev-pass") } });
    await settled(db.migration.urn);
    expect(await settled(db.connection)).toBe("postgresql://postgres:dev-pass@127.0.0.1:5433/servicedesk");
    const image = registered.find((r) => r.type === "docker:index/remoteImage:RemoteImage")!;
    expect(image.inputs).toMatchObject({ name: "postgres:15", keepLocally: true });
    const container = registered.find((r) => r.type === "docker:index/container:Container")!;
    expect(plain(container.inputs)).toMatchObject({ image: "sha256:postgres", ports: [{ internal: 5432, external: 5433 }] });
    expect(plain(container.inputs.envs)).toEqual(["POSTGRES_PASSWORD=dev-pass", "POSTGRES_DB=servicedesk"]);
    expect(secretness(container.inputs.envs)).toBe(true);
    const migration = registered.find((r) => r.type.endsWith("ServicedeskMigration"))!;
    expect(plain(migration.inputs.connection)).toBe("postgresql://postgres:dev-pass@127.0.0.1:5433/servicedesk");
    expect(secretness(migration.inputs.connection)).toBe(true);
  });

  test("without a connection or a local container it says what is missing", () => {
    expect(() => new ServicedeskDatabase("none", { source })).toThrow("ServicedeskDatabase: give `connection`, or enable `localPostgres`");
  });
});
