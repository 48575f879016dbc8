// The settings every suite runs with, from the command line.
import type { Quiet } from "./machine.js";
import type { Row } from "./results.js";

export interface BenchContext {
  /** Seconds-long runs for CI: every case once, short. */
  readonly smoke: boolean;
  /** Seconds per measured point. */
  readonly durationS: number;
  /** Seconds of load before measuring (JIT, connection setup, pools). */
  readonly warmS: number;
  /** Seconds of the memory soak. */
  readonly soakS: number;
  /** Core of the process under test, and of the load; undefined when pinning is impossible. */
  readonly serverCore: string | undefined;
  readonly loadCore: string | undefined;
  readonly databaseUrl: string;
  /** The project compiled by tsc, whose roles are run; undefined: roles run through tsx. */
  readonly compiledDir: string | undefined;
  /** In-flight levels of the server comparison. */
  readonly inFlight: readonly number[];
  /** Waits (within limits) for a quiet machine and says how quiet it was. */
  quiet(): Promise<Quiet>;
  log(line: string): void;
}

export type Suite = (ctx: BenchContext) => Promise<Row[]>;
