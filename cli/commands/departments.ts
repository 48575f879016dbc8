// mesh departments report: one department's figures, joined across services by the department service.
import { GetDepartmentReportResponseSchema, DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import type { CommandSpec } from "../command.js";
import { resolveDepartmentId } from "../department-lookup.js";
import { EXIT } from "../errors.js";
import { formatFields, formatSummary, formatTable, messageJson, MISSING, right } from "../output.js";

const report: CommandSpec = {
  path: ["departments", "report"],
  summary: "headcount, age and salary figures, total points and top users of a department",
  args: [{ name: "id|name", description: "the department's id, or its name (any case)" }],
  options: {},
  details: 'When the user or point service does not answer, the report is partial: "degraded" names what is missing.',
  examples: ['mesh departments report "IT Support"', "mesh departments report finance --json"],
  async run(ctx, input) {
    const id = await resolveDepartmentId(ctx, input.arg(0));
    const res = await ctx.connections.client("department", DepartmentService).getDepartmentReport({ id }, ctx.callOptions());
    if (ctx.json) {
      ctx.stdout.write(messageJson(GetDepartmentReportResponseSchema, res));
      return EXIT.OK;
    }
    ctx.stdout.write(
      formatFields([
        ["department", `${res.department?.name ?? ""} (${res.department?.id ?? id})`],
        ["headcount", res.headcount === undefined ? MISSING : String(res.headcount)],
        ["age", formatSummary(res.age)],
        ["salary", formatSummary(res.salary)],
        ["total points", res.totalPoints === undefined ? MISSING : String(res.totalPoints)],
        ["degraded", res.degraded.join(", ") || "-"],
      ]),
    );
    if (res.topUsers.length > 0) {
      const rows = res.topUsers.map((u, i) => [String(i + 1), u.name, String(u.points), u.userId]);
      ctx.stdout.write("\n" + formatTable([right("RANK"), "TOP USER", right("POINTS"), "ID"], rows));
    }
    return EXIT.OK;
  },
};

export const departmentCommands: readonly CommandSpec[] = [report];
