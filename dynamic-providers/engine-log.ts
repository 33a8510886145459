/**
 * Progress from the provider process to the Pulumi engine. A dynamic
 * provider runs in its own process, launched with the engine's address as
 * its argument but with no logging channel of its own; this opens one with
 * the engine's Log RPC (the one pulumi.log uses in programs), so progress
 * appears in `pulumi up`'s output and in the Automation API's event stream.
 */
import * as path from "node:path";
// The gRPC library of the @pulumi/pulumi the project uses, not one of ours: its generated stubs need their own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc: typeof import("@grpc/grpc-js") = require(
  require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }),
);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineProto = require("@pulumi/pulumi/proto/engine_pb");

export type EngineLog = (message: string, options?: { urn?: string; ephemeral?: boolean }) => Promise<void>;

/** The engine address among the provider process's arguments (host:port), if any. */
export function engineAddressFromArgs(args: readonly string[]): string | null {
  return args.find((a) => /^(127\.0\.0\.1|localhost|\[::1\]|[\w.-]+):\d+$/.test(a)) ?? null;
}

/** A logger to the engine, or null outside a provider process. Messages go out one at a time, in order. */
export function engineLog(address = engineAddressFromArgs(process.argv.slice(2))): EngineLog | null {
  if (!address) return null;
  const client = new engineGrpc.EngineClient(address, grpc.credentials.createInsecure());
  let last: Promise<void> = Promise.resolve();
  return (message, options = {}) => {
    const request = new engineProto.LogRequest();
    request.setSeverity(engineProto.LogSeverity.INFO);
    request.setMessage(message);
    request.setUrn(options.urn ?? "");
    request.setEphemeral(options.ephemeral ?? false);
    last = last.then(() => new Promise<void>((resolve) => client.log(request, () => resolve())));
    return last;
  };
}
