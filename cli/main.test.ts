// The command line itself, with no services: help, usage errors (exit 2),
// address resolution, the error report, and the launcher as a real process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.js";
import { COMMANDS } from "./commands/index.js";
import { GLOBAL_OPTIONS } from "./args.js";
import { codeName, errorReport, EXIT } from "./errors.js";
import { addressToBaseUrl, resolveAddresses } from "./services.js";
import { jsonError, runCli } from "./testing/run-cli.js";

describe("help", () => {
  test("mesh --help and -h: exit 0, every command listed", async () => {
    for (const flag of ["--help", "-h"]) {
      const res = await runCli([flag]);
      assert.equal(res.code, EXIT.OK);
      for (const c of COMMANDS) assert.ok(res.stdout.includes(c.path.join(" ")), c.path.join(" "));
    }
  });

  test("every command and group has its own --help, exit 0", async () => {
    const groups = [...new Set(COMMANDS.map((c) => c.path[0]!))].map((g) => [g]);
    const topics = [...COMMANDS.map((c) => c.path), ...groups];
    for (const topic of topics) {
      const res = await runCli([...topic, "--help"]);
      assert.equal(res.code, EXIT.OK, topic.join(" "));
      assert.ok(res.stdout.startsWith(`Usage: mesh ${topic.join(" ")}`), topic.join(" "));
    }
  });

  test("--help wins over a missing argument", async () => {
    assert.equal((await runCli(["points", "add", "--help"])).code, EXIT.OK);
  });
});

describe("usage errors exit 2", () => {
  const cases: Array<[string, string[]]> = [
    ["no command", []],
    ["unknown command", ["brew"]],
    ["unknown subcommand", ["beers", "brew"]],
    ["group without subcommand", ["beers"]],
    ["unknown option", ["beers", "ls", "--bogus"]],
    ["another command's option", ["beers", "ls", "--style", "IPA"]],
    ["missing argument", ["beers", "rm"]],
    ["extra argument", ["beers", "rm", "a", "b"]],
    ["option without its value", ["beers", "add", "x", "--abv"]],
    ["non-number --abv", ["beers", "add", "x", "--abv", "strong"]],
    ["non-integer delta", ["points", "add", "u", "1.5"]],
    ["bad --timeout", ["health", "--timeout", "soon"]],
    ["--page-size out of range", ["users", "ls", "--page-size", "5000"]],
  ];
  for (const [name, argv] of cases) {
    test(name, async () => {
      // No service is running: a usage error must be found before any call.
      const nowhere = "127.0.0.1:9";
      const res = await runCli(argv, { USER_SERVICE_ADDR: nowhere, BEER_SERVICE_ADDR: nowhere, POINT_SERVICE_ADDR: nowhere });
      assert.equal(res.code, EXIT.USAGE, res.stderr);
      assert.equal(res.stdout, "");
      assert.match(res.stderr, /^mesh: /);
    });
  }

  test("with --json the usage error is JSON on stderr", async () => {
    const res = await runCli(["beers", "rm", "--json"]);
    assert.equal(res.code, EXIT.USAGE);
    assert.equal(jsonError(res).code, "USAGE");
  });

  test("options of the same name have one type in every command (the first parse relies on it)", () => {
    const types = new Map<string, string>(Object.entries(GLOBAL_OPTIONS).map(([n, o]) => [n, o.type]));
    for (const c of COMMANDS) {
      for (const [name, o] of Object.entries(c.options)) {
        assert.equal(types.get(name) ?? o.type, o.type, `${c.path.join(" ")} --${name}`);
        types.set(name, o.type);
      }
    }
  });
});

describe("addresses", () => {
  test("flag over environment over the local default", () => {
    const a = resolveAddresses({ "beer-addr": "beer:1" }, { BEER_SERVICE_ADDR: "env:2", USER_SERVICE_ADDR: "env:3" });
    assert.deepEqual(a, { beer: "beer:1", user: "env:3", point: "localhost:50052", department: "localhost:50053" });
  });

  test("host:port, dns:/// and full URLs", () => {
    assert.equal(addressToBaseUrl("user:50051"), "http://user:50051");
    assert.equal(addressToBaseUrl("dns:///user.mesh.svc:50051"), "http://user.mesh.svc:50051");
    assert.equal(addressToBaseUrl("https://mesh.example.com"), "https://mesh.example.com");
  });
});

describe("error report", () => {
  test("gRPC code names and field violations from google.rpc.BadRequest", () => {
    const err = new ConnectError("bad", Code.InvalidArgument, undefined, [
      {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, { fieldViolations: [{ field: "name", description: "must not be empty" }] }),
      },
    ]);
    const report = errorReport(err);
    assert.equal(report.code, "INVALID_ARGUMENT");
    assert.deepEqual(report.fieldViolations, [{ field: "name", description: "must not be empty" }]);
    assert.equal(codeName(Code.Canceled), "CANCELLED");
    assert.equal(codeName(Code.DeadlineExceeded), "DEADLINE_EXCEEDED");
  });
});

describe("bin/mesh.js", () => {
  const bin = fileURLToPath(new URL("../bin/mesh.js", import.meta.url));

  test("runs as a process: --help exits 0, a usage error exits 2", () => {
    const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^mesh: /);
    const bad = spawnSync(process.execPath, [bin, "brew"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(bad.status, 2);
  });
});
