// mesh points add: append an entry to a user's point ledger, safely retryable.
import { randomUUID } from "node:crypto";
import { AddPointsResponseSchema, PointService } from "../../gen/mesh/point/v1/point_pb.js";
import type { CommandSpec } from "../command.js";
import { EXIT, UsageError } from "../errors.js";
import { formatFields, formatTime, messageJson } from "../output.js";

const add: CommandSpec = {
  path: ["points", "add"],
  summary: "add (or with a negative delta, take) points to a user",
  args: [
    { name: "user-id", description: "the user's id" },
    { name: "delta", description: "a non-zero whole number; negative takes points away (never below 0)" },
  ],
  options: {
    reason: { type: "string", value: "R", description: "why, up to 200 characters" },
    "request-id": {
      type: "string",
      value: "ID",
      description: "idempotency key (A-Z a-z 0-9 _ - . :); one is generated and printed on stderr when absent",
    },
  },
  details: [
    "Every call carries a request id, so a retried command adds once: when no --request-id is given, the CLI makes one",
    "and prints it on stderr before calling. If the call fails or times out, run the same command with",
    "--request-id <that id>: the point service returns the original entry instead of adding again.",
  ].join("\n"),
  examples: [
    'mesh points add 01900000-0000-7000-8000-000000000001 10 --reason "helped a colleague"',
    "mesh points add 01900000-0000-7000-8000-000000000001 -5 --request-id fix-2024-06-01",
  ],
  async run(ctx, input) {
    const deltaText = input.arg(1);
    if (!/^[+-]?\d+$/.test(deltaText)) throw new UsageError(`<delta> must be a whole number, got "${deltaText}"`, input.command);
    let requestId = input.string("request-id");
    if (requestId === undefined) {
      requestId = `cli-${randomUUID()}`;
      // Before the call: if it times out, the id is what makes the retry safe.
      ctx.stderr.write(`request id: ${requestId}\n`);
    }
    const request = { userId: input.arg(0), delta: BigInt(deltaText), reason: input.string("reason") ?? "", requestId };
    const res = await ctx.connections.client("point", PointService).addPoints(request, ctx.callOptions());
    if (ctx.json) {
      ctx.stdout.write(messageJson(AddPointsResponseSchema, res));
      return EXIT.OK;
    }
    const entry = res.entry;
    ctx.stdout.write(
      formatFields([
        ["user", entry?.userId ?? ""],
        ["delta", entry === undefined ? "" : (entry.delta > 0n ? "+" : "") + String(entry.delta)],
        ["reason", entry?.reason || "-"],
        ["points", String(res.points)],
        ["entry", entry?.id ?? ""],
        ["request id", entry?.requestId ?? requestId],
        ["created", formatTime(entry?.createTime)],
      ]),
    );
    return EXIT.OK;
  },
};

export const pointCommands: readonly CommandSpec[] = [add];
