// The arithmetic of a department report, kept apart from the calls that feed it.

export interface Member {
  readonly id: string;
  readonly name: string;
  readonly age: number;
  readonly salary: number;
}

export interface Figures {
  readonly min: number;
  readonly max: number;
  /** Rounded to 2 decimals. */
  readonly avg: number;
}

export interface Ranked {
  readonly userId: string;
  readonly name: string;
  readonly points: bigint;
}

export const TOP_USERS = 3;

/** min, max and average of the values; undefined when there are none. */
export function summarise(values: readonly number[]): Figures | undefined {
  if (values.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  // Scale before dividing: the values are whole numbers, so the sum is exact and
  // only one rounding step remains (68333.333... -> 68333.33).
  return { min, max, avg: Math.round((sum * 100) / values.length) / 100 };
}

export function totalPoints(members: readonly Member[], points: ReadonlyMap<string, bigint>): bigint {
  return members.reduce((sum, m) => sum + (points.get(m.id) ?? 0n), 0n);
}

/** The members with the most points, most first; ties by name, then id, so the answer is stable. */
export function topUsers(members: readonly Member[], points: ReadonlyMap<string, bigint>, limit = TOP_USERS): Ranked[] {
  return members
    .map((m) => ({ userId: m.id, name: m.name, points: points.get(m.id) ?? 0n }))
    .sort((a, b) => {
      if (a.points !== b.points) return a.points > b.points ? -1 : 1;
      if (a.name !== b.name) return a.name < b.name ? -1 : 1;
      return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
    })
    .slice(0, limit);
}
