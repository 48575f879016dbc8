// The list convention on the command line: one page by default, with the next
// page's token on stderr; --all follows the tokens to the last page.
import type { CommandContext, CommandInput, OptionSpec } from "./command.js";

export const PAGING_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  "page-size": { type: "string", value: "N", description: "results per page, 1-1000 (default: the server's, 50)" },
  "page-token": { type: "string", value: "TOKEN", description: "the page after a previous answer (its next page token)" },
  all: { type: "boolean", description: "follow the page tokens and print every page" },
};

export interface Paging {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly all: boolean;
}

export function readPaging(input: CommandInput): Paging {
  return {
    pageSize: input.integer("page-size", 1, 1000) ?? 0,
    pageToken: input.string("page-token") ?? "",
    all: input.flag("all"),
  };
}

/** The first page, or with --all every page; `fetch` gets each page's token. */
export async function fetchPages<R extends { readonly nextPageToken: string }>(
  paging: Paging,
  fetch: (pageToken: string) => Promise<R>,
): Promise<R[]> {
  const pages = [await fetch(paging.pageToken)];
  while (paging.all && pages.at(-1)!.nextPageToken !== "") pages.push(await fetch(pages.at(-1)!.nextPageToken));
  return pages;
}

/** On stderr, so stdout stays a clean table: how many were shown and how to get the rest. */
export function writePageFooter(ctx: CommandContext, command: string, shown: number, total: number, nextPageToken: string): void {
  if (ctx.json || nextPageToken === "") return;
  ctx.stderr.write(`${shown} of ${total} shown; next page: mesh ${command} --page-token ${nextPageToken} (or --all)\n`);
}
