// mesh health: grpc.health.v1 Check of every service, for the whole server ("") and by its service name.
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { CommandContext, CommandSpec } from "../command.js";
import { codeName, EXIT } from "../errors.js";
import { formatTable } from "../output.js";
import { MESH_SERVICE_NAMES, MESH_SERVICES, type MeshServiceName } from "../services.js";

const STATUS_NAMES: Readonly<Record<ServingStatus, string>> = {
  [ServingStatus.UNKNOWN]: "UNKNOWN",
  [ServingStatus.SERVING]: "SERVING",
  [ServingStatus.NOT_SERVING]: "NOT_SERVING",
  [ServingStatus.SERVICE_UNKNOWN]: "SERVICE_UNKNOWN",
};

interface CheckResult {
  readonly status: string;
  readonly error?: string;
}

async function check(ctx: CommandContext, target: MeshServiceName, service: string): Promise<CheckResult> {
  try {
    const res = await ctx.connections.client(target, Health).check({ service }, ctx.callOptions());
    return { status: STATUS_NAMES[res.status] ?? String(res.status) };
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    const error = `${codeName(err.code)}: ${err.rawMessage}`;
    // No connection or no answer in time: nothing is known about the service.
    if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) return { status: "UNREACHABLE", error };
    // The health protocol's answer for a name the server does not serve.
    if (err.code === Code.NotFound) return { status: "SERVICE_UNKNOWN", error };
    return { status: codeName(err.code), error };
  }
}

interface ServiceHealth {
  readonly name: MeshServiceName;
  readonly address: string;
  readonly grpcService: string;
  /** SERVING when both checks are; otherwise the first check's status that is not. */
  readonly status: string;
  readonly server: string;
  readonly service: string;
  readonly error?: string;
}

async function serviceHealth(ctx: CommandContext, name: MeshServiceName): Promise<ServiceHealth> {
  const grpcService = MESH_SERVICES[name].typeName;
  const [server, service] = await Promise.all([check(ctx, name, ""), check(ctx, name, grpcService)]);
  const failing = [server, service].find((c) => c.status !== "SERVING");
  const error = server.error ?? service.error;
  return {
    name,
    address: ctx.connections.addresses[name],
    grpcService,
    status: failing?.status ?? "SERVING",
    server: server.status,
    service: service.status,
    ...(error === undefined ? {} : { error }),
  };
}

const health: CommandSpec = {
  path: ["health"],
  summary: "check every service: SERVING, NOT_SERVING or UNREACHABLE",
  args: [],
  options: {},
  details: [
    'Asks each service\'s grpc.health.v1.Health twice: for the whole server ("") and for its service name',
    "(e.g. mesh.user.v1.UserService). Exits 0 only when every answer is SERVING.",
  ].join("\n"),
  examples: ["mesh health", "mesh health --beer-addr beer.mesh.svc:50054 --timeout 1000", "mesh health --json"],
  async run(ctx) {
    const results = await Promise.all(MESH_SERVICE_NAMES.map((name) => serviceHealth(ctx, name)));
    const allServing = results.every((r) => r.status === "SERVING");
    if (ctx.json) {
      ctx.stdout.write(JSON.stringify({ services: results, allServing }, null, 2) + "\n");
    } else {
      const rows = results.map((r) => [r.name, r.address, r.status, r.server, r.service]);
      ctx.stdout.write(formatTable(["SERVICE", "ADDRESS", "STATUS", "SERVER", "BY NAME"], rows));
      for (const r of results) if (r.error !== undefined) ctx.stderr.write(`${r.name}: ${r.error}\n`);
    }
    return allServing ? EXIT.OK : EXIT.FAILURE;
  },
};

export const healthCommands: readonly CommandSpec[] = [health];
