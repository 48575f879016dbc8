// A static migration index: file providers do not survive bundling or the build.
import type { Migration } from "kysely";
import * as createLedger from "./2026-11-23T000000-create-ledger.js";

export const migrations: Readonly<Record<string, Migration>> = {
  "2026-11-23T000000-create-ledger": createLedger,
};
