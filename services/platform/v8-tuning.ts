// V8 settings a service sets on itself as it starts, so that they hold
// wherever it runs (the image, `npm start`, a test, the benchmark).
//
// Allocation-site pretenuring: V8 watches the objects made by each object and
// array literal, and when most of them outlive a young collection it makes
// that literal allocate in the old generation from then on. While a server
// warms up with calls in flight (and its young generation is still small),
// most of any call's objects outlive the young collections, so some of the
// literals a call runs get tenured; from then on every call puts an object in
// the old generation that points to its young objects (the stream, the request,
// the headers). Old objects are freed only by full collections, so young
// collections keep everything those point to until one runs: megabytes per
// collection, all promoted. Which literals get tenured depends on the timing of
// the warm-up: a bare node:http2 echo was caught in one start of two
// (bench/stream-map.ts), createServer's whole stack in each of four
// (`V8_PRETENURING=true bench/profile.ts --gc`). Without pretenuring, in none
// (docs/benchmarks/README.md, "What the young collections keep").
//
// `node --no-allocation-site-pretenuring` does the same from the command line;
// NODE_OPTIONS does not take V8 flags, which is why the service sets it itself.
//
// Bytecode flushing: V8 drops the bytecode of a function that has not run
// since its last few full collections (it is compiled again from the source if
// it ever runs again). By default a function must sit out 6 of them, and an
// idle service has few: the code that ran only as it started (module set-up,
// migrations, seed data, Node's own start-up) kept its bytecode for good, about
// 2 MiB of beer's 13 MiB heap. The services flush it after one
// (--bytecode-old-age=1): the first collection V8 runs on its own after start
// drops it. A function that runs between two full collections keeps its
// bytecode, so a busy server's calls never pay for it; a rare one (a metrics
// scrape) is compiled again when it next runs (docs/benchmarks/README.md,
// Memory). Collections run through gc() do not flush, only V8's own.
//
// And one full collection once a service has started (collectAfterStart).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The services' bytecode age (V8_BYTECODE_OLD_AGE): full collections a function may sit out before its bytecode goes. */
export const DEFAULT_BYTECODE_OLD_AGE = 1;

export interface V8Tuning {
  /** Keep V8's allocation-site pretenuring (V8_PRETENURING=true); off unless true. */
  readonly pretenuring?: boolean;
  /** --bytecode-old-age (V8_BYTECODE_OLD_AGE); DEFAULT_BYTECODE_OLD_AGE unless given, V8's own default is 6. */
  readonly bytecodeOldAge?: number;
}

/** The V8 flags tuneV8 sets for these options. */
export function v8TuningFlags(options: V8Tuning = {}): string[] {
  const flags = [`--bytecode-old-age=${options.bytecodeOldAge ?? DEFAULT_BYTECODE_OLD_AGE}`];
  if (options.pretenuring !== true) flags.push("--no-allocation-site-pretenuring");
  return flags;
}

/**
 * Sets v8TuningFlags(options). Call first thing in the process: the flags
 * decide what V8 does at its next collections, not what it has already tenured
 * or kept.
 */
export function tuneV8(options: V8Tuning = {}): void {
  for (const flag of v8TuningFlags(options)) setFlagsFromString(flag);
}

/**
 * Runs one full garbage collection. A service calls it once it has started:
 * module start-up, migrations and seed data leave their garbage in the old
 * generation, and an idle service's young collections never lead to a full
 * one. V8's memory reducer, which gives memory back once a process has gone
 * quiet, only starts after a full collection: with this one, beer's bundle
 * left idle held 2.5-3.4 MiB less from its second minute to its sixth, and
 * 1.6 MiB less at its twelfth, once the compilers had warmed up
 * (docs/benchmarks/README.md, Memory). The pause is that of one full collection of a heap of about
 * 20 MiB, as the service starts serving.
 *
 * `gc` is reachable only with --expose-gc, which Node refuses in NODE_OPTIONS;
 * set at run time, the flag gives the next new context a `gc` function, and is
 * unset again at once.
 */
export function collectAfterStart(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  setFlagsFromString("--no-expose-gc");
  gc();
}
