// A channel to one upstream that is a Connect Transport, so generated clients
// use it unchanged: it resolves the target to replicas, balances calls over
// them (round robin, or least outstanding calls), skips replicas that are
// NOT_SERVING or ejected, and retries calls the server did not process, within
// the deadline and a retry budget. Optional hedging for reads.
import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ContextValues,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { Endpoint } from "./endpoint.js";
import { DEFAULT_EJECTION, DEFAULT_SESSION_OPTIONS, type ChannelOptions, type ChannelStats } from "./options.js";
import { backoffMs, DEFAULT_RETRY_OPTIONS, isRetryable, RetryBudget, wasNotSent, type RetryOptions } from "./retry.js";
import { isTlsFailure } from "./session.js";

export class Channel implements Transport {
  readonly #options: ChannelOptions;
  readonly #retry: RetryOptions;
  readonly #budget: RetryBudget;
  /**
   * Errors already charged to the budget. A connection that drops fails every
   * call in flight on it with the same error: one failure of the upstream,
   * not one per call, or a replica dying under load would spend the budget
   * the survivors need to take its calls.
   */
  readonly #charged = new WeakSet<object>();
  readonly #endpoints = new Map<string, Endpoint>();
  /** The endpoints' values, rebuilt when they change. */
  #list: readonly Endpoint[] = [];
  readonly #closing = new AbortController();
  #resolved: Promise<void>;
  #resolving: Promise<void> | undefined;
  #lastResolve = 0;
  #rr = 0;
  #calls = 0;
  #retries = 0;
  #transparentRetries = 0;
  #hedges = 0;
  #interval: NodeJS.Timeout | undefined;

  constructor(options: ChannelOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
    this.#budget = new RetryBudget(this.#retry);
    this.#resolved = this.#resolve();
    this.#resolved.catch(() => undefined);
    if (options.resolver.dynamic) {
      this.#interval = setInterval(() => void this.#resolve().catch(() => undefined), options.resolveIntervalMs ?? 30_000);
      this.#interval.unref();
    }
  }

  stats(): ChannelStats {
    return {
      endpoints: [...this.#endpoints.values()].map((e) => ({
        address: e.address,
        serving: e.serving,
        ejected: e.ejected,
        inFlight: e.inFlight,
        picks: e.picks,
        openSessions: e.openSessions,
        ejections: e.ejectionCount,
      })),
      calls: this.#calls,
      retries: this.#retries,
      transparentRetries: this.#transparentRetries,
      hedges: this.#hedges,
      budgetExhausted: this.#budget.exhausted,
      budgetTokens: this.#budget.tokens,
    };
  }

  /** Re-resolves now (also done periodically for DNS targets, and after connection failures). */
  refresh(): Promise<void> {
    return this.#resolve();
  }

  /** Stops resolving and closes every connection gracefully. */
  close(): void {
    this.#closing.abort();
    clearInterval(this.#interval);
    for (const endpoint of this.#endpoints.values()) endpoint.close();
    this.#endpoints.clear();
    this.#list = [];
  }

  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: ConstructorParameters<typeof Headers>[0] | undefined,
    input: MessageInitShape<I>,
    contextValues?: ContextValues,
  ): Promise<UnaryResponse<I, O>> {
    const deadline = this.#deadline(timeoutMs);
    if (this.#endpoints.size === 0) await this.#firstResolution(signal, deadline);
    this.#calls++;
    // Made on the first failure: most calls succeed at once.
    let tried: Set<Endpoint> | undefined;
    const hedge = (this.#options.hedgeDelayMs ?? 0) > 0 && method.idempotency === Idempotency.NO_SIDE_EFFECTS;
    for (let attempt = 1; ; ) {
      const endpoint = this.#pick(tried);
      try {
        const res = hedge
          ? await this.#hedged(endpoint, (tried ??= new Set()), (e, s) => this.#attempt(e, (t) => t.unary(method, s, this.#remaining(deadline), header, input, contextValues)), signal)
          : await this.#attemptUnary(endpoint, method, signal, deadline, header, input, contextValues);
        this.#budget.onSuccess();
        return res;
      } catch (e) {
        const err = ConnectError.from(e);
        if (signal?.aborted) throw err;
        (tried ??= new Set()).add(endpoint);
        // Transparent retry: the call never reached a server, so another replica
        // may take it at once, without backoff, attempts or budget (as gRPC does);
        // at most once per replica.
        if (wasNotSent(err) && this.#hasUntried(tried)) {
          this.#transparentRetries++;
          this.#options.events?.onRetry?.(method, err.code, true);
          continue;
        }
        if (!isRetryable(method, err)) throw err;
        this.#chargeBudget(err);
        if (attempt >= this.#retry.maxAttempts) throw err;
        if (!this.#budget.allowRetry()) {
          this.#options.events?.onBudgetExhausted?.();
          throw err;
        }
        const wait = backoffMs(attempt, this.#retry);
        if (deadline !== undefined && Date.now() + wait >= deadline) throw err;
        attempt++;
        this.#retries++;
        this.#options.events?.onRetry?.(method, err.code, false);
        await sleep(wait, undefined, signal === undefined ? {} : { signal }).catch(() => {
          throw err;
        });
      }
    }
  }

  #chargeBudget(err: ConnectError): void {
    const cause = err.cause;
    if (typeof cause === "object" && cause !== null) {
      if (this.#charged.has(cause)) return;
      this.#charged.add(cause);
    }
    this.#budget.onFailure();
  }

  async stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: ConstructorParameters<typeof Headers>[0] | undefined,
    input: AsyncIterable<MessageInitShape<I>>,
    contextValues?: ContextValues,
  ): Promise<StreamResponse<I, O>> {
    const deadline = this.#deadline(timeoutMs);
    if (this.#endpoints.size === 0) await this.#firstResolution(signal, deadline);
    this.#calls++;
    // Streams are not retried: their messages may have been consumed.
    return this.#attempt(this.#pick(undefined), (t) =>
      t.stream(method, signal, this.#remaining(deadline), header, input, contextValues),
    );
  }

  /** Races a second attempt on another replica against a slow first one; the loser is cancelled. */
  async #hedged<R>(
    first: Endpoint,
    tried: Set<Endpoint>,
    send: (endpoint: Endpoint, signal: AbortSignal) => Promise<R>,
    signal: AbortSignal | undefined,
  ): Promise<R> {
    const controllers = [new AbortController(), new AbortController()] as const;
    const link = () => controllers.forEach((c) => c.abort(signal?.reason));
    signal?.addEventListener("abort", link, { once: true });
    try {
      const attempts: Array<Promise<R>> = [send(first, controllers[0].signal)];
      const delay = sleep(this.#options.hedgeDelayMs ?? 0, undefined, { signal: controllers[1].signal }).then(
        () => {
          const second = this.#pick(new Set([...tried, first]));
          if (second === first || !this.#budget.allowRetry()) return new Promise<R>(() => {});
          this.#hedges++;
          return send(second, controllers[1].signal);
        },
        () => new Promise<R>(() => {}),
      );
      attempts.push(delay);
      // The first success wins; a failure counts only when every attempt has failed.
      return await Promise.any(attempts).catch((e: AggregateError) => {
        throw e.errors[0];
      });
    } finally {
      signal?.removeEventListener("abort", link);
      controllers.forEach((c) => c.abort());
    }
  }

  /** #attempt for the common unary call, without the closures a call of #attempt makes. */
  #attemptUnary<I extends DescMessage, O extends DescMessage>(
    endpoint: Endpoint,
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
    header: ConstructorParameters<typeof Headers>[0] | undefined,
    input: MessageInitShape<I>,
    contextValues: ContextValues | undefined,
  ): Promise<UnaryResponse<I, O>> {
    endpoint.inFlight++;
    endpoint.picks++;
    let pending: Promise<UnaryResponse<I, O>>;
    try {
      pending = endpoint.pickTransport().unary(method, signal, this.#remaining(deadline), header, input, contextValues);
    } catch (e) {
      pending = Promise.reject(e);
    }
    return pending.then(
      (res) => {
        endpoint.inFlight--;
        endpoint.recordSuccess();
        return res;
      },
      (e: unknown) => {
        endpoint.inFlight--;
        throw this.#attemptFailed(endpoint, e);
      },
    );
  }

  async #attempt<R>(endpoint: Endpoint, call: (transport: Transport) => Promise<R>): Promise<R> {
    endpoint.inFlight++;
    endpoint.picks++;
    try {
      const res = await call(endpoint.pickTransport());
      endpoint.recordSuccess();
      return res;
    } catch (e) {
      throw this.#attemptFailed(endpoint, e);
    } finally {
      endpoint.inFlight--;
    }
  }

  /** Records a failed attempt on its replica; returns the error to raise. */
  #attemptFailed(endpoint: Endpoint, e: unknown): unknown {
    // connect-node reports TLS failures as INTERNAL; like gRPC, the channel says UNAVAILABLE.
    const err = isTlsFailure(e) ? new ConnectError(`TLS with ${endpoint.address} failed`, Code.Unavailable, undefined, undefined, e) : e;
    endpoint.recordFailure(ConnectError.from(err));
    return err;
  }

  #deadline(timeoutMs: number | undefined): number | undefined {
    if (timeoutMs === undefined) return undefined;
    // A timeout of 0 or less would disable the deadline in connect-node: fail without sending.
    if (timeoutMs <= 0) throw new ConnectError("deadline exceeded before the call was sent", Code.DeadlineExceeded);
    return Date.now() + timeoutMs;
  }

  #remaining(deadline: number | undefined): number | undefined {
    if (deadline === undefined) return undefined;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new ConnectError("deadline exceeded before the call was sent", Code.DeadlineExceeded);
    return remaining;
  }

  async #firstResolution(signal: AbortSignal | undefined, deadline: number | undefined): Promise<void> {
    if (this.#endpoints.size > 0) return;
    const waits: Array<Promise<unknown>> = [this.#resolved];
    if (deadline !== undefined) waits.push(sleep(Math.max(0, deadline - Date.now())));
    let onAbort: (() => void) | undefined;
    if (signal !== undefined) {
      waits.push(
        new Promise<void>((resolve) => {
          onAbort = () => resolve();
          signal.addEventListener("abort", onAbort, { once: true });
        }),
      );
    }
    try {
      await Promise.race(waits).catch(() => undefined);
    } finally {
      // The caller's signal outlives this wait (it may be one shared by every call): leave no listener on it.
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    }
    if (this.#endpoints.size === 0) {
      this.#resolved = this.#resolve();
      this.#resolved.catch(() => undefined);
    }
  }

  /** True when an eligible replica has not been tried by this call. */
  #hasUntried(tried: ReadonlySet<Endpoint>): boolean {
    const now = Date.now();
    for (const endpoint of this.#endpoints.values()) if (!tried.has(endpoint) && endpoint.eligible(now)) return true;
    return false;
  }

  /**
   * Picks a replica: eligible ones first (not yet tried by this call if
   * possible). When none is eligible but some are only NOT_SERVING, not
   * ejected, those are tried (a panic mode: readiness flapping everywhere must
   * not fail calls locally). Fails fast when every replica is ejected.
   */
  #pick(tried: ReadonlySet<Endpoint> | undefined): Endpoint {
    const now = Date.now();
    const all = this.#list;
    if (tried === undefined && this.#options.policy !== "least_outstanding") {
      // The common case, without building arrays: the next eligible replica in turn.
      for (let k = 0; k < all.length; k++) {
        this.#rr = (this.#rr + 1) % all.length;
        const endpoint = all[this.#rr] as Endpoint;
        if (endpoint.eligible(now)) return endpoint;
      }
    }
    let eligible = all.filter((e) => e.eligible(now));
    if (eligible.length === 0) eligible = all.filter((e) => e.reachable(now));
    const fresh = tried === undefined ? eligible : eligible.filter((e) => !tried.has(e));
    const candidates = fresh.length > 0 ? fresh : eligible;
    if (candidates.length === 0) {
      throw new ConnectError(
        all.length === 0 ? `no address for ${this.#options.name}` : `no ready replica of ${this.#options.name}`,
        Code.Unavailable,
      );
    }
    if (this.#options.policy === "least_outstanding" && candidates.length > 1) {
      // Power of two choices: near-least-loaded without scanning or herding.
      const a = candidates[Math.floor(Math.random() * candidates.length)] as Endpoint;
      const b = candidates[Math.floor(Math.random() * candidates.length)] as Endpoint;
      return a.inFlight <= b.inFlight ? a : b;
    }
    this.#rr = (this.#rr + 1) % candidates.length;
    return candidates[this.#rr] as Endpoint;
  }

  #resolve(): Promise<void> {
    this.#resolving ??= (async () => {
      try {
        const addresses = await this.#options.resolver.resolve();
        if (this.#closing.signal.aborted) return;
        this.#lastResolve = Date.now();
        const wanted = new Set(addresses);
        for (const [address, endpoint] of this.#endpoints) {
          if (!wanted.has(address)) {
            endpoint.close();
            this.#endpoints.delete(address);
          }
        }
        for (const address of wanted) {
          if (!this.#endpoints.has(address)) this.#endpoints.set(address, this.#newEndpoint(address));
        }
      } finally {
        // Also after a failure part-way: the list must never hold an endpoint the map no longer has.
        this.#list = [...this.#endpoints.values()];
        this.#resolving = undefined;
      }
    })();
    return this.#resolving;
  }

  #newEndpoint(address: string): Endpoint {
    const options = this.#options;
    return new Endpoint(address, {
      sessions: options.sessionsPerEndpoint ?? 2,
      session: { ...DEFAULT_SESSION_OPTIONS, ...options.session },
      healthService: options.healthService,
      ejection: { ...DEFAULT_EJECTION, ...options.ejection },
      readMaxBytes: options.readMaxBytes ?? 16 * 1024 * 1024,
      interceptors: options.interceptors ?? [],
      leanUnary: options.leanUnary ?? true,
      tls: options.tls,
      onConnectionFailure: () => {
        // Replicas move in Kubernetes: a failed connection is a reason to look again (at most once a second).
        if (options.resolver.dynamic && Date.now() - this.#lastResolve > 1_000) void this.#resolve().catch(() => undefined);
      },
    });
  }
}
