// Human-readable tables and key-value blocks, and proto3 JSON for scripts.
import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

/** Where the CLI writes; process.stdout in production, a buffer in tests. */
export interface Writer {
  write(text: string): unknown;
}

export interface Column {
  readonly header: string;
  /** Numbers read better right-aligned. */
  readonly align?: "left" | "right";
}

/** A right-aligned column. */
export const right = (header: string): Column => ({ header, align: "right" });

/** A table with a header row; columns (a plain string is left-aligned) are as wide as their widest cell. */
export function formatTable(headers: ReadonlyArray<string | Column>, rows: ReadonlyArray<readonly string[]>): string {
  const columns = headers.map((h) => (typeof h === "string" ? { header: h } : h));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return c.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join("\n") + "\n";
}

/** `label: value` lines with the values aligned. */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`.trimEnd()).join("\n") + "\n";
}

/**
 * Proto3 JSON of a message. Implicit defaults are written too (an empty
 * `degraded` list, a zero count) so scripts need not guess at absent keys;
 * fields with explicit presence (a user's points) stay absent when unset.
 */
export function messageJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, indent = 2): string {
  return JSON.stringify(toJson(schema, message, { alwaysEmitImplicit: true }), null, indent) + "\n";
}

export function formatTime(ts: Timestamp | undefined): string {
  return ts === undefined ? "" : timestampDate(ts).toISOString();
}

/** A missing value in a table: absent because a service did not answer. */
export const MISSING = "?";

export function formatSummary(s: { min: number; max: number; avg: number } | undefined): string {
  return s === undefined ? "-" : `min ${s.min}  max ${s.max}  avg ${s.avg}`;
}
