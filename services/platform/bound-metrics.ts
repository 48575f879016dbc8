// Counter and histogram families for the per-call metrics: each series is
// bound to its label values once and updated as a plain addition; prom-client
// reads the numbers only when /metrics is scraped. prom-client's own Counter
// and Histogram build and look up a string of the labels on every update
// (inc or observe, even through a child from `labels()`): five of those per
// call cost about 5 us on the server's fast path, a tenth of the call.
//
// The families register with a prom-client Registry as any metric does
// (registerMetric, get, reset), so the text format, the JSON format and
// getSingleMetric are prom-client's own.
import type { Registry } from "prom-client";

type Labels = Readonly<Record<string, string>>;

/** A sample in the shape prom-client's Registry formats. */
interface Sample {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
  /** prom-client's buckets carry one (null without exemplars); JSON readers see the same shape. */
  readonly exemplar?: null;
}

/** One counter series: `value` counts up from zero. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(): void {
    this.value++;
  }
}

/** One histogram series: counts per bucket (not cumulative), sum and count. */
export class HistogramSeries {
  readonly #bounds: readonly number[];
  /** counts[i]: observations <= bounds[i] and > bounds[i-1]; the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    bounds: readonly number[],
  ) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }
}

abstract class BoundFamily<S extends { readonly labels: Labels }> {
  readonly aggregator = "sum";
  abstract readonly type: "counter" | "histogram";
  readonly #series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these label values: made on first use, the same object after. */
  series(labels: Labels): S {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = this.make(labels)));
    return series;
  }

  async get() {
    const values: Sample[] = [];
    for (const series of this.#series.values()) this.samples(series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series (Registry.resetMetrics); bound series stay valid. */
  reset(): void {
    for (const series of this.#series.values()) this.zero(series);
  }

  protected abstract make(labels: Labels): S;
  protected abstract samples(series: S, into: Sample[]): void;
  protected abstract zero(series: S): void;
}

export class CounterFamily extends BoundFamily<CounterSeries> {
  readonly type = "counter";

  protected make(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  protected samples(series: CounterSeries, into: Sample[]): void {
    into.push({ value: series.value, labels: { ...series.labels } });
  }

  protected zero(series: CounterSeries): void {
    series.value = 0;
  }
}

export class HistogramFamily extends BoundFamily<HistogramSeries> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, registry: Registry, bounds: readonly number[]) {
    // Checked before the family registers: a refused one must not stay in the registry.
    if (bounds.some((b, i) => i > 0 && b <= (bounds[i - 1] as number))) throw new Error(`${name}: buckets must increase`);
    super(name, help, registry);
    this.#bounds = [...bounds];
  }

  protected make(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.#bounds);
  }

  /** As prom-client writes a histogram: cumulative buckets (`le` first), then _sum and _count. */
  protected samples(series: HistogramSeries, into: Sample[]): void {
    let cumulative = 0;
    series.counts.forEach((n, i) => {
      cumulative += n;
      const le = i < this.#bounds.length ? (this.#bounds[i] as number) : "+Inf";
      into.push({ value: cumulative, labels: { le, ...series.labels }, metricName: `${this.name}_bucket`, exemplar: null });
    });
    into.push({ value: series.sum, labels: { ...series.labels }, metricName: `${this.name}_sum` });
    into.push({ value: series.count, labels: { ...series.labels }, metricName: `${this.name}_count` });
  }

  protected zero(series: HistogramSeries): void {
    series.counts.fill(0);
    series.sum = 0;
    series.count = 0;
  }
}
