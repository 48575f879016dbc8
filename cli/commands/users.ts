// mesh users ls | stats: people, and the statistics the user service joins across services.
import { create } from "@bufbuild/protobuf";
import {
  GetUserStatisticsResponseSchema,
  ListUsersResponseSchema,
  UserService,
} from "../../gen/mesh/user/v1/user_pb.js";
import type { CommandContext, CommandInput, CommandSpec, OptionSpec } from "../command.js";
import { resolveDepartmentId } from "../department-lookup.js";
import { EXIT } from "../errors.js";
import { formatFields, formatSummary, formatTable, messageJson, MISSING, right } from "../output.js";
import { fetchPages, PAGING_OPTIONS, readPaging, writePageFooter } from "../paging.js";

const FILTER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  department: {
    type: "string",
    value: "ID|NAME",
    description: "only users of this department (its id, or its name in any case)",
  },
  "name-contains": { type: "string", value: "TEXT", description: "only users whose name contains TEXT (case-insensitive)" },
  "order-by": {
    type: "string",
    value: "ORDER",
    description: 'name, email, age, salary or create_time, then "asc" or "desc" (default create_time)',
  },
  ...PAGING_OPTIONS,
};

async function filterRequest(ctx: CommandContext, input: CommandInput) {
  const department = input.string("department");
  return {
    departmentId: department === undefined ? "" : await resolveDepartmentId(ctx, department),
    nameContains: input.string("name-contains") ?? "",
    orderBy: input.string("order-by") ?? "",
  };
}

const ls: CommandSpec = {
  path: ["users", "ls"],
  summary: "list users",
  args: [],
  options: FILTER_OPTIONS,
  details: "Prints one page; when there are more, stderr says how to get the next one. --all prints every page.",
  examples: ["mesh users ls", 'mesh users ls --department "IT Support" --order-by "salary desc"', "mesh users ls --all --json"],
  async run(ctx, input) {
    const paging = readPaging(input);
    const request = { ...(await filterRequest(ctx, input)), pageSize: paging.pageSize };
    const client = ctx.connections.client("user", UserService);
    const pages = await fetchPages(paging, (pageToken) => client.listUsers({ ...request, pageToken }, ctx.callOptions()));
    const { nextPageToken, totalSize } = pages.at(-1)!;
    const res = create(ListUsersResponseSchema, { users: pages.flatMap((p) => p.users), nextPageToken, totalSize });
    if (ctx.json) {
      ctx.stdout.write(messageJson(ListUsersResponseSchema, res));
    } else {
      const rows = res.users.map((u) => [u.id, u.name, u.email, String(u.age), String(u.salary), u.departmentId]);
      ctx.stdout.write(formatTable(["ID", "NAME", "EMAIL", right("AGE"), right("SALARY"), "DEPARTMENT ID"], rows));
    }
    writePageFooter(ctx, "users ls", res.users.length, res.totalSize, res.nextPageToken);
    return EXIT.OK;
  },
};

const stats: CommandSpec = {
  path: ["users", "stats"],
  summary: "users with their points and department names, and age and salary figures",
  args: [],
  options: FILTER_OPTIONS,
  details: [
    "The figures cover every user matching the filter, not only the page shown. When the point or department service",
    `does not answer, the answer is partial: the missing values show as ${MISSING} and "degraded" names what is missing.`,
  ].join("\n"),
  examples: ["mesh users stats", "mesh users stats --department finance --order-by 'age desc'", "mesh users stats --json"],
  async run(ctx, input) {
    const paging = readPaging(input);
    const request = { ...(await filterRequest(ctx, input)), pageSize: paging.pageSize };
    const client = ctx.connections.client("user", UserService);
    const pages = await fetchPages(paging, (pageToken) => client.getUserStatistics({ ...request, pageToken }, ctx.callOptions()));
    const last = pages.at(-1)!;
    // With --all, a part missing from any page is missing from the whole answer.
    const degraded = [...new Set(pages.flatMap((p) => p.degraded))];
    const users = pages.flatMap((p) => p.users);
    const res = create(GetUserStatisticsResponseSchema, { ...pages[0]!, users, degraded, nextPageToken: last.nextPageToken });
    if (ctx.json) {
      ctx.stdout.write(messageJson(GetUserStatisticsResponseSchema, res));
    } else {
      const rows = res.users.map((r) => [
        r.user?.name ?? "",
        String(r.user?.age ?? ""),
        String(r.user?.salary ?? ""),
        r.departmentName ?? MISSING,
        r.points === undefined ? MISSING : String(r.points),
        r.user?.id ?? "",
      ]);
      ctx.stdout.write(formatTable(["NAME", right("AGE"), right("SALARY"), "DEPARTMENT", right("POINTS"), "ID"], rows));
      ctx.stdout.write(
        "\n" +
          formatFields([
            ["users", String(res.totalSize)],
            ["age", formatSummary(res.age)],
            ["salary", formatSummary(res.salary)],
            ["degraded", res.degraded.join(", ") || "-"],
          ]),
      );
    }
    writePageFooter(ctx, "users stats", res.users.length, res.totalSize, res.nextPageToken);
    return EXIT.OK;
  },
};

export const userCommands: readonly CommandSpec[] = [ls, stats];
