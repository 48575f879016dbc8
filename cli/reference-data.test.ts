// users ls / users stats / departments report against real user, point and
// department services on loopback, seeded with the reference data.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../services/platform/reference-data.js";
import { EXIT } from "./errors.js";
import { startMesh, type TestMesh } from "./testing/mesh.js";
import { jsonError, runCli, runJson } from "./testing/run-cli.js";

type Summary = { min: number; max: number; avg: number };
interface UsersJson {
  users: Array<{ id: string; departmentId: string }>;
  nextPageToken: string;
  totalSize: number;
}
interface StatsJson {
  users: Array<{ user: { name: string }; points?: string; departmentName?: string }>;
  totalSize: number;
  age: Summary;
  salary: Summary;
  degraded: string[];
}
interface ReportJson {
  department: { name: string };
  headcount?: number;
  totalPoints?: string;
  topUsers: Array<{ name: string; points: string }>;
  degraded: string[];
}

const IT = REFERENCE_DEPARTMENTS.find((d) => d.name === "IT Support")!;
let mesh: TestMesh;

before(async () => {
  mesh = await startMesh(["user", "department", "point"]);
});

after(async () => {
  await mesh.stop();
});

/** The numbers of a `label: min A  max B  avg C` line of the text output. */
function summaryLine(stdout: string, label: string): number[] {
  const line = stdout.split("\n").find((l) => l.startsWith(`${label}:`));
  return [...(line ?? "").matchAll(/(min|max|avg) (\S+)/g)].map((m) => Number(m[2]));
}

describe("users ls", () => {
  test("the nine reference users, as JSON and as a table", async () => {
    const res = await runJson<UsersJson>(["users", "ls"], mesh.env);
    assert.equal(res.code, EXIT.OK);
    assert.equal(res.json?.totalSize, 9);
    assert.deepEqual(res.json?.users.map((u) => u.id).sort(), REFERENCE_USERS.map((u) => u.id).sort());

    const table = await runCli(["users", "ls"], mesh.env);
    assert.equal(table.code, EXIT.OK);
    const lines = table.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1 + 9);
    assert.ok(REFERENCE_USERS.every((u) => lines.some((l) => l.startsWith(u.id))));
  });

  test("--department by name (any case) and by id", async () => {
    for (const department of ["it support", IT.id]) {
      const res = await runJson<UsersJson>(["users", "ls", "--department", department], mesh.env);
      assert.equal(res.code, EXIT.OK);
      assert.equal(res.json?.users.length, 3);
      assert.ok(res.json?.users.every((u) => u.departmentId === IT.id));
    }
  });

  test("an unknown department name: NOT_FOUND, exit 1", async () => {
    const res = await runCli(["users", "ls", "--department", "Marketing", "--json"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.equal(jsonError(res).code, "NOT_FOUND");
  });

  test("one page at a time, the next token on stderr; --all follows it", async () => {
    const page = await runJson<UsersJson>(["users", "ls", "--page-size", "4"], mesh.env);
    assert.equal(page.json?.users.length, 4);
    assert.notEqual(page.json?.nextPageToken, "");
    const token = page.json!.nextPageToken;
    const next = await runJson<UsersJson>(["users", "ls", "--page-size", "4", "--page-token", token], mesh.env);
    assert.equal(next.json?.users.length, 4);
    const text = await runCli(["users", "ls", "--page-size", "4"], mesh.env);
    assert.ok(text.stderr.includes(`--page-token ${page.json?.nextPageToken}`));
    const all = await runJson<UsersJson>(["users", "ls", "--page-size", "4", "--all"], mesh.env);
    assert.equal(all.json?.users.length, 9);
    assert.equal(all.json?.nextPageToken, "");
  });
});

describe("users stats", () => {
  test("the reference figures, with points and department names on every user", async () => {
    const res = await runJson<StatsJson>(["users", "stats"], mesh.env);
    assert.equal(res.code, EXIT.OK);
    const stats = res.json!;
    assert.equal(stats.totalSize, 9);
    assert.equal(stats.users.length, 9);
    assert.deepEqual([stats.age.max, stats.age.min, stats.age.avg], [40, 22, 31.22]);
    assert.deepEqual([stats.salary.max, stats.salary.min, stats.salary.avg], [90000, 48000, 68333.33]);
    assert.deepEqual(stats.degraded, []);
    const diana = stats.users.find((u) => u.user.name === "Diana Prince");
    assert.deepEqual([diana?.points, diana?.departmentName], ["83", "Finance"]);
  });

  test("the table shows the same figures", async () => {
    const res = await runCli(["users", "stats"], mesh.env);
    assert.equal(res.code, EXIT.OK);
    assert.deepEqual(summaryLine(res.stdout, "age"), [22, 40, 31.22]);
    assert.deepEqual(summaryLine(res.stdout, "salary"), [48000, 90000, 68333.33]);
    const diana = res.stdout.split("\n").find((l) => l.startsWith("Diana Prince"));
    assert.deepEqual(diana?.split(/\s{2,}/).slice(1, 5), ["32", "80000", "Finance", "83"]);
  });

  test("--department and --order-by", async () => {
    const res = await runJson<StatsJson>(["users", "stats", "--department", "Finance", "--order-by", "age desc"], mesh.env);
    assert.equal(res.code, EXIT.OK);
    assert.deepEqual(res.json?.users.map((u) => u.user.name), ["Diana Prince", "Ethan Hunt", "Fiona Gallagher"]);
    assert.deepEqual([res.json?.age.min, res.json?.age.max], [27, 32]);
  });

  test("a bad --order-by: INVALID_ARGUMENT naming the field, exit 1", async () => {
    const res = await runCli(["users", "stats", "--order-by", "shoe_size", "--json"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    const err = jsonError(res);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.deepEqual(err.fieldViolations.map((v) => v.field), ["order_by"]);
    const text = await runCli(["users", "stats", "--order-by", "shoe_size"], mesh.env);
    assert.match(text.stderr, /^mesh: INVALID_ARGUMENT: /);
    assert.match(text.stderr, /^ {2}order_by: /m);
  });
});

describe("departments report", () => {
  test("IT Support by name (any case) and by id: 3 users, 179 points, George Costanza on top", async () => {
    for (const department of ["IT SUPPORT", IT.id]) {
      const res = await runJson<ReportJson>(["departments", "report", department], mesh.env);
      assert.equal(res.code, EXIT.OK, res.stderr);
      const report = res.json!;
      assert.equal(report.department.name, "IT Support");
      assert.equal(report.headcount, 3);
      assert.equal(report.totalPoints, "179");
      assert.deepEqual([report.topUsers[0]?.name, report.topUsers[0]?.points], ["George Costanza", "93"]);
      assert.deepEqual(report.degraded, []);
    }
  });

  test("the text report shows the headcount and the top users in order", async () => {
    const res = await runCli(["departments", "report", "it support"], mesh.env);
    assert.equal(res.code, EXIT.OK);
    assert.match(res.stdout, /^headcount: +3$/m);
    assert.match(res.stdout, /^total points: +179$/m);
    const top = res.stdout.split("\n").filter((l) => /^ +\d+ {2}/.test(l)).map((l) => l.trim().split(/\s{2,}/).slice(1, 3));
    assert.deepEqual(top, [["George Costanza", "93"], ["Ian Malcolm", "73"], ["Hannah Baker", "13"]]);
  });

  test("an unknown name or id: NOT_FOUND, exit 1", async () => {
    for (const department of ["Marketing", "01900000-0000-7000-8000-0000000000ff"]) {
      const res = await runCli(["departments", "report", department], mesh.env);
      assert.equal(res.code, EXIT.FAILURE);
      assert.match(res.stderr, /^mesh: NOT_FOUND: /);
    }
  });
});

// Last: stops the point service.
describe("with the point service stopped", () => {
  test("users stats and departments report answer in part and name what is missing", async () => {
    await mesh.services.point!.stop();
    const stats = await runJson<StatsJson>(["users", "stats"], mesh.env);
    assert.equal(stats.code, EXIT.OK);
    assert.deepEqual(stats.json?.degraded, ["points"]);
    assert.equal(stats.json?.age.avg, 31.22);
    assert.ok(stats.json?.users.every((u) => u.points === undefined && u.departmentName !== undefined));
    const report = await runJson<ReportJson>(["departments", "report", "IT Support"], mesh.env);
    assert.equal(report.code, EXIT.OK);
    assert.deepEqual(report.json?.degraded, ["points"]);
    assert.equal(report.json?.headcount, 3);
    assert.equal(report.json?.totalPoints, undefined);
    const text = await runCli(["users", "stats"], mesh.env);
    assert.match(text.stdout, /^degraded: +points$/m);
  });
});
