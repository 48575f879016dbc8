// What V8's garbage collector did while a server was under load, read from
// the lines `--trace-gc-nvp` prints (one per collection, name=value pairs):
// how often the young generation was collected, how long the pauses were, and
// how many bytes per call outlived a young collection (survived) or were moved
// to the old generation (promoted). A call's objects should die young; what
// survives is copied, and what is promoted is freed only by a full
// collection, so bytes surviving per call predict the GC's share of a call
// better than bytes allocated.

export interface GcFigures {
  /** Young-generation collections (scavenges) per 10,000 calls. */
  readonly scavengesPer10kCalls: number;
  readonly scavengePauseUsPerCall: number;
  readonly survivedBytesPerCall: number;
  readonly promotedBytesPerCall: number;
  /**
   * Of the bytes that had survived one young collection, the share still alive at the next (and so
   * promoted): near 0 when what survives is the calls in flight, which end within milliseconds.
   */
  readonly promotedOfSurvivors: number;
  /** Full collections (mark-compact) in the window, and their pause per call. */
  readonly markCompacts: number;
  readonly markCompactPauseUsPerCall: number;
  /** The young generation's capacity at the last scavenge, in bytes. */
  readonly youngCapacityBytes: number;
}

/** The pairs of one --trace-gc-nvp line, by name. */
export function parseNvpLine(line: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const token of line.split(" ")) {
    const eq = token.indexOf("=");
    if (eq > 0) pairs.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return pairs;
}

/** Sums the collections traced in `output` over `calls` calls. */
export function gcFigures(output: string, calls: number): GcFigures {
  let scavenges = 0;
  let scavengePauseMs = 0;
  let survived = 0;
  let promoted = 0;
  // Promoted at a collection, against what had survived the one before (the first collection has no before).
  let carried = 0;
  let carriedFrom = 0;
  let previousSurvived: number | undefined;
  let markCompacts = 0;
  let markCompactPauseMs = 0;
  let youngCapacityBytes = 0;
  for (const line of output.split("\n")) {
    if (!line.includes(" gc=")) continue;
    const pairs = parseNvpLine(line);
    const number = (name: string) => Number(pairs.get(name) ?? 0);
    const kind = pairs.get("gc");
    if (kind === "s") {
      scavenges++;
      scavengePauseMs += number("pause");
      survived += number("new_space_survived");
      promoted += number("promoted");
      if (previousSurvived !== undefined) {
        carried += number("promoted");
        carriedFrom += previousSurvived;
      }
      previousSurvived = number("new_space_survived");
      youngCapacityBytes = number("new_space_capacity");
    } else if (kind === "mc") {
      // A full collection empties the young generation too: the next scavenge has no survivors to carry.
      previousSurvived = undefined;
      markCompacts++;
      markCompactPauseMs += number("pause");
    }
  }
  const perCall = (n: number) => n / Math.max(1, calls);
  return {
    scavengesPer10kCalls: perCall(scavenges) * 10_000,
    scavengePauseUsPerCall: perCall(scavengePauseMs) * 1000,
    survivedBytesPerCall: perCall(survived),
    promotedBytesPerCall: perCall(promoted),
    promotedOfSurvivors: carriedFrom > 0 ? carried / carriedFrom : Number.NaN,
    markCompacts,
    markCompactPauseUsPerCall: perCall(markCompactPauseMs) * 1000,
    youngCapacityBytes,
  };
}
