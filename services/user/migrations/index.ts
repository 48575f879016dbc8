// A static migration index: file providers do not survive bundling or the build.
import type { Migration } from "kysely";
import * as createUsers from "./2026-11-23T000000-create-users.js";

export const migrations: Readonly<Record<string, Migration>> = {
  "2026-11-23T000000-create-users": createUsers,
};
