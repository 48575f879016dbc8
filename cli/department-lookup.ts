// A department given by id or by name: names resolve through ListDepartments
// (name_contains narrows the search, then an exact match without regard to case).
import { Code, ConnectError } from "@connectrpc/connect";
import { DepartmentService } from "../gen/mesh/department/v1/department_pb.js";
import type { CommandContext } from "./command.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveDepartmentId(ctx: CommandContext, idOrName: string): Promise<string> {
  // An id is passed as given: the service that receives it says NOT_FOUND when it is unknown.
  if (UUID.test(idOrName)) return idOrName;
  const name = idOrName.trim();
  const client = ctx.connections.client("department", DepartmentService);
  let pageToken = "";
  do {
    const page = await client.listDepartments({ nameContains: name, pageSize: 1000, pageToken }, ctx.callOptions());
    const match = page.departments.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (match !== undefined) return match.id;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  throw new ConnectError(`no department named "${name}"`, Code.NotFound);
}
