// A static migration index: file providers do not survive bundling or the build.
import type { Migration } from "kysely";
import * as createBeers from "./2026-11-24T000000-create-beers.js";

export const migrations: Readonly<Record<string, Migration>> = {
  "2026-11-24T000000-create-beers": createBeers,
};
