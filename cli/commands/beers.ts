// mesh beers add | rm | ls | watch: the beer catalogue and its change feed.
import { create } from "@bufbuild/protobuf";
import {
  BeerEventSchema,
  BeerEventType,
  BeerService,
  ListBeersResponseSchema,
  AddBeerResponseSchema,
  RemoveBeerResponseSchema,
  type Beer,
  type BeerEvent,
} from "../../gen/mesh/beer/v1/beer_pb.js";
import type { CommandContext, CommandSpec } from "../command.js";
import { EXIT } from "../errors.js";
import { formatFields, formatTable, formatTime, messageJson, right } from "../output.js";
import { fetchPages, PAGING_OPTIONS, readPaging, writePageFooter } from "../paging.js";

const beers = (ctx: CommandContext) => ctx.connections.client("beer", BeerService);

const abvText = (beer: Beer) => (beer.abv === undefined ? "-" : `${beer.abv}%`);

function beerFields(beer: Beer | undefined): string {
  if (beer === undefined) return "";
  return formatFields([
    ["id", beer.id],
    ["name", beer.name],
    ["style", beer.style || "-"],
    ["abv", abvText(beer)],
    ["created", formatTime(beer.createTime)],
  ]);
}

const add: CommandSpec = {
  path: ["beers", "add"],
  summary: "add a beer to the catalogue",
  args: [{ name: "name", description: "1-100 characters, unique without regard to case" }],
  options: {
    style: { type: "string", value: "S", description: "style, e.g. IPA (up to 100 characters)" },
    abv: { type: "string", value: "N", description: "alcohol by volume in percent, 0-70" },
    "request-id": { type: "string", value: "ID", description: "idempotency key: a retry with the same id returns the same beer" },
  },
  examples: ['mesh beers add "Pliny the Elder" --style "Double IPA" --abv 8', "mesh beers add Kölsch --json"],
  async run(ctx, input) {
    const res = await beers(ctx).addBeer(
      {
        name: input.arg(0),
        style: input.string("style") ?? "",
        // Range checks are the server's (INVALID_ARGUMENT); only a non-number is a usage error here.
        abv: input.decimal("abv"),
        requestId: input.string("request-id") ?? "",
      },
      ctx.callOptions(),
    );
    ctx.stdout.write(ctx.json ? messageJson(AddBeerResponseSchema, res) : beerFields(res.beer));
    return EXIT.OK;
  },
};

const rm: CommandSpec = {
  path: ["beers", "rm"],
  summary: "remove a beer (NOT_FOUND when there is none with that id)",
  args: [{ name: "id", description: "the beer's id" }],
  options: {},
  examples: ["mesh beers rm 0190a5d2-8c3e-7b1a-9f2e-3c4d5e6f7a8b"],
  async run(ctx, input) {
    const res = await beers(ctx).removeBeer({ id: input.arg(0) }, ctx.callOptions());
    ctx.stdout.write(ctx.json ? messageJson(RemoveBeerResponseSchema, res) : `removed\n${beerFields(res.beer)}`);
    return EXIT.OK;
  },
};

const ls: CommandSpec = {
  path: ["beers", "ls"],
  summary: "list beers, oldest first",
  args: [],
  options: {
    "name-contains": { type: "string", value: "TEXT", description: "only beers whose name contains TEXT (case-insensitive)" },
    "order-by": {
      type: "string",
      value: "ORDER",
      description: 'name, abv or create_time, optionally then "asc" or "desc" (default create_time)',
    },
    ...PAGING_OPTIONS,
  },
  details: "Prints one page; when there are more, stderr says how to get the next one. --all prints every page.",
  examples: ["mesh beers ls", "mesh beers ls --name-contains ipa --order-by 'abv desc'", "mesh beers ls --all --json"],
  async run(ctx, input) {
    const paging = readPaging(input);
    const request = {
      pageSize: paging.pageSize,
      orderBy: input.string("order-by") ?? "",
      nameContains: input.string("name-contains") ?? "",
    };
    const pages = await fetchPages(paging, (pageToken) => beers(ctx).listBeers({ ...request, pageToken }, ctx.callOptions()));
    const { nextPageToken, totalSize } = pages.at(-1)!;
    const all = create(ListBeersResponseSchema, { beers: pages.flatMap((p) => p.beers), nextPageToken, totalSize });
    if (ctx.json) {
      ctx.stdout.write(messageJson(ListBeersResponseSchema, all));
    } else {
      const rows = all.beers.map((b) => [b.id, b.name, b.style, abvText(b), formatTime(b.createTime)]);
      ctx.stdout.write(formatTable(["ID", "NAME", "STYLE", right("ABV"), "CREATED"], rows));
    }
    writePageFooter(ctx, "beers ls", all.beers.length, all.totalSize, all.nextPageToken);
    return EXIT.OK;
  },
};

const EVENT_NAMES: Readonly<Record<BeerEventType, string>> = {
  [BeerEventType.UNSPECIFIED]: "UNSPECIFIED",
  [BeerEventType.ADDED]: "ADDED",
  [BeerEventType.RENAMED]: "RENAMED",
  [BeerEventType.REMOVED]: "REMOVED",
};

function eventLine(e: BeerEvent): string {
  const name = e.type === BeerEventType.RENAMED ? `${e.previousName} -> ${e.beer?.name ?? ""}` : (e.beer?.name ?? "");
  const type = (EVENT_NAMES[e.type] ?? String(e.type)).padEnd(7);
  return [formatTime(e.eventTime), e.cursor, type, e.beer?.id ?? "", name].join("  ") + "\n";
}

const watch: CommandSpec = {
  path: ["beers", "watch"],
  summary: "print beer events as they happen, until Ctrl-C",
  args: [],
  options: {
    after: { type: "string", value: "CURSOR", description: "start after this event's cursor (default: from the first event)" },
  },
  details: [
    "Prints the events after CURSOR, then live ones. Each line starts with the event's time and cursor; with --json each",
    "event is one line of JSON (a BeerEvent). --timeout does not apply: the stream stays open until Ctrl-C (exit 0).",
    "When the stream ends otherwise, the last cursor is printed on stderr: pass it as --after to resume without a gap.",
  ].join("\n"),
  examples: ["mesh beers watch", "mesh beers watch --after 42 --json"],
  async run(ctx, input) {
    let last: string | undefined;
    const resumeHint = () => (last === undefined ? "" : `; resume with: mesh beers watch --after ${last}`);
    try {
      // No deadline: a watch is meant to outlive any --timeout. Ctrl-C cancels it.
      const stream = beers(ctx).watchBeerEvents({ afterCursor: input.string("after") ?? "" }, { signal: ctx.signal });
      for await (const { event } of stream) {
        if (event === undefined) continue;
        ctx.stdout.write(ctx.json ? messageJson(BeerEventSchema, event, 0) : eventLine(event));
        last = event.cursor;
      }
    } catch (err) {
      if (ctx.signal.aborted) {
        if (last !== undefined) ctx.stderr.write(`last cursor: ${last}\n`);
        return EXIT.OK;
      }
      if (last !== undefined) ctx.stderr.write(`mesh: the watch broke off${resumeHint()}\n`);
      throw err;
    }
    ctx.stderr.write(`mesh: the server ended the stream${resumeHint()}\n`);
    return EXIT.FAILURE;
  },
};

export const beerCommands: readonly CommandSpec[] = [add, rm, ls, watch];
