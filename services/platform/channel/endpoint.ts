// One replica of an upstream: a few HTTP/2 sessions to it, its health as the
// replica itself reports it (grpc.health.v1 Watch), and outlier ejection after
// consecutive transport failures, with a bounded, growing time out.
import { createClient, Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { createLaneTransport } from "../fast/unary-client.js";
import { isTransportFailure } from "./retry.js";
import { ChannelSession, type SessionOptions, type TlsConnectOptions } from "./session.js";

export interface EjectionOptions {
  /** Consecutive transport failures that eject an endpoint. */
  readonly consecutiveFailures: number;
  /** First ejection time; each further ejection doubles it. */
  readonly baseMs: number;
  /** Longest ejection. */
  readonly maxMs: number;
}

export interface EndpointOptions {
  readonly sessions: number;
  readonly session: SessionOptions;
  /** Service name whose health is watched; undefined turns the watch off. */
  readonly healthService: string | undefined;
  readonly ejection: EjectionOptions;
  readonly readMaxBytes: number;
  readonly interceptors: readonly Interceptor[];
  /** Unary calls on the lean client (../fast/unary-client.ts) rather than connect-node's transport. */
  readonly leanUnary: boolean;
  /** Told when the endpoint's connection fails, so the channel can re-resolve. */
  readonly onConnectionFailure: () => void;
  /** TLS for every connection to the replica, health watch included; undefined: h2c. */
  readonly tls?: TlsConnectOptions | undefined;
}

interface Lane {
  readonly session: ChannelSession;
  readonly transport: Transport;
}

export class Endpoint {
  readonly address: string;
  readonly #lanes: Lane[];
  readonly #options: EndpointOptions;
  readonly #closing = new AbortController();
  /** What the replica last said through health; true until it says otherwise. */
  serving = true;
  #consecutiveFailures = 0;
  #ejectedUntil = 0;
  #ejections = 0;
  /** Times this endpoint was ejected. */
  ejectionCount = 0;
  inFlight = 0;
  picks = 0;

  constructor(address: string, options: EndpointOptions) {
    this.address = address;
    this.#options = options;
    const baseUrl = this.#baseUrl();
    this.#lanes = Array.from({ length: Math.max(1, options.sessions) }, () => {
      const session = new ChannelSession(baseUrl, options.session, options.tls);
      session.onFailure = () => options.onConnectionFailure();
      return {
        session,
        transport: options.leanUnary
          ? createLaneTransport({ baseUrl, session, readMaxBytes: options.readMaxBytes, interceptors: options.interceptors })
          : createGrpcTransport({
              baseUrl,
              sessionManager: session,
              readMaxBytes: options.readMaxBytes,
              interceptors: [...options.interceptors],
            }),
      };
    });
    if (options.healthService !== undefined) void this.#watchHealth(options.healthService);
  }

  /** Serving and not ejected: may take new calls. */
  eligible(now: number): boolean {
    return this.serving && now >= this.#ejectedUntil;
  }

  /** Not ejected, whatever its health says: the fallback when no replica is eligible. */
  reachable(now: number): boolean {
    return now >= this.#ejectedUntil;
  }

  get ejected(): boolean {
    return Date.now() < this.#ejectedUntil;
  }

  /** Open connections. */
  get openSessions(): number {
    return this.#lanes.filter((l) => l.session.state === "ready").length;
  }

  /** The lane with the fewest open streams, preferring those under the server's stream limit. */
  pickTransport(): Transport {
    let best: Lane | undefined;
    let bestLoad = Infinity;
    for (const lane of this.#lanes) {
      const { activeStreams, maxConcurrentStreams } = lane.session;
      // Full lanes sort after every lane with room.
      const load = activeStreams >= maxConcurrentStreams ? 1e9 + activeStreams : activeStreams;
      if (load < bestLoad) {
        best = lane;
        bestLoad = load;
      }
    }
    return (best ?? (this.#lanes[0] as Lane)).transport;
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#ejections = 0;
  }

  recordFailure(err: ConnectError): void {
    if (!isTransportFailure(err)) return;
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= this.#options.ejection.consecutiveFailures && !this.ejected) {
      const { baseMs, maxMs } = this.#options.ejection;
      this.#ejectedUntil = Date.now() + Math.min(maxMs, baseMs * 2 ** this.#ejections);
      this.#ejections++;
      this.ejectionCount++;
      this.#consecutiveFailures = 0;
    }
  }

  /** Graceful: open calls finish, then the connections close. */
  close(): void {
    this.#closing.abort();
    for (const lane of this.#lanes) lane.session.close();
  }

  #baseUrl(): string {
    return `${this.#options.tls === undefined ? "http" : "https"}://${this.address}`;
  }

  async #watchHealth(service: string): Promise<void> {
    // A session of its own, so the long-lived stream never holds a call lane.
    const baseUrl = this.#baseUrl();
    const session = new ChannelSession(baseUrl, { ...this.#options.session, idleTimeoutMs: 0 }, this.#options.tls);
    const health = createClient(Health, createGrpcTransport({ baseUrl, sessionManager: session }));
    const signal = this.#closing.signal;
    let delayMs = 100;
    try {
      while (!signal.aborted) {
        try {
          for await (const res of health.watch({ service }, { signal })) {
            this.serving = res.status === Status.SERVING;
            delayMs = 100;
            // The replica says it is back: give it calls again at once.
            if (this.serving) {
              this.#ejectedUntil = 0;
              this.#consecutiveFailures = 0;
            }
          }
        } catch (err) {
          if (signal.aborted) return;
          // A server without the health service is taken at its word by its answers instead.
          if (ConnectError.from(err).code === Code.Unimplemented) {
            this.serving = true;
            return;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())).unref());
        delayMs = Math.min(delayMs * 2, 1_000);
      }
    } finally {
      session.destroy();
    }
  }
}
