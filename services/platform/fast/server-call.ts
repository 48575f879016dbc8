// One call the fast path serves, from its request headers to its answer: the
// request gate, reading and decoding the body, the interceptors and handler,
// the answer. The steps are methods of one object, and the stream's listeners
// shared functions that find it on the stream (exchange.ts), rather than
// closures made for every call: whatever a call makes lives as long as the
// call, and every call in flight when V8 collects its young generation is
// copied, then promoted to the old one (see "Where the time goes" in
// docs/benchmarks/README.md).
import type * as http2 from "node:http2";
import type { JsonWriteOptions, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type UnaryResponse } from "@connectrpc/connect";
import { closeWhenAnswered } from "../early-answers.js";
import { sendConnectError, sendConnectMessage, tooLarge } from "./connect-unary.js";
import { readBody, unwatchClose, watchClose, type BodyReader, type CloseWatcher, type Exchange } from "./exchange.js";
import { envelope, sealEnvelope, sendGrpcError, sendGrpcMessage, unwrapGrpcMessage } from "./grpc-unary.js";
import type { MessageEncoder } from "./message-encoder.js";
import type { FastMethod } from "./method-table.js";
import type { UnaryCall } from "./unary-call.js";

/** What every call of one adapter shares. */
export interface ServeSettings {
  readonly acceptEncoding: string | undefined;
  readonly jsonOptions: Partial<JsonWriteOptions> | undefined;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  /** The answers' protobuf encoder (one per adapter: calls are encoded one at a time). */
  readonly encoder: MessageEncoder;
  readonly requestGate: ((context: HandlerContext) => void | Promise<void>) | undefined;
  readonly checkEnvelope: (size: number, chunks: readonly Buffer[]) => Error | undefined;
  readonly checkBody: (size: number) => Error | undefined;
}

export class ServerCall implements BodyReader, CloseWatcher {
  constructor(
    readonly settings: ServeSettings,
    readonly x: Exchange,
    readonly route: FastMethod,
    readonly protocol: "grpc" | "connect",
    /** Proto (or JSON, for Connect). */
    readonly binary: boolean,
    readonly headers: http2.IncomingHttpHeaders,
    /** The error of a timeout header that could not be used: the call is refused with it. */
    readonly timeoutError: ConnectError | undefined,
    readonly call: UnaryCall,
  ) {}

  start(): void {
    const stream = this.x.stream;
    // Without an error listener, a reset with an error code would throw.
    stream.on("error", ignore);
    watchClose(stream, this);
    const gate = this.settings.requestGate;
    if (gate === undefined) {
      this.receive();
      return;
    }
    // As Connect does: the gate runs before the body is read. A gate that decides
    // at once (ours does) lets the call go on without a turn of the microtask queue.
    let gated: void | Promise<void>;
    try {
      gated = gate(this.call.context(this.call.request(undefined)));
    } catch (err) {
      this.refuse(err);
      return;
    }
    if (typeof (gated as Promise<void> | undefined)?.then === "function") {
      (gated as Promise<void>).then(
        () => this.receive(),
        (err: unknown) => this.refuse(err),
      );
    } else this.receive();
  }

  /** CloseWatcher: the stream closed before the answer. */
  cancel(): void {
    this.call.cancel();
  }

  /** BodyReader: called with each chunk's running total. */
  check(size: number, chunks: readonly Buffer[]): Error | undefined {
    return this.protocol === "grpc" ? this.settings.checkEnvelope(size, chunks) : this.settings.checkBody(size);
  }

  /** BodyReader: the body has been read, or refused. */
  done(err: Error | undefined, body: Buffer): void {
    if (err === undefined) void this.invoke(body);
    else this.fail(err);
  }

  private receive(): void {
    if (this.timeoutError !== undefined) {
      this.refuse(this.timeoutError);
      return;
    }
    if (this.protocol === "connect") {
      const length = Number(this.headers["content-length"] ?? 0);
      if (length > this.settings.readMaxBytes) {
        this.refuse(tooLarge(length, this.settings.readMaxBytes));
        return;
      }
    }
    readBody(this.x.stream, this);
  }

  private async invoke(body: Buffer): Promise<void> {
    const { route, call } = this;
    let result: Promise<UnaryResponse>;
    try {
      const message = route.serialization.getI(this.binary).parse(this.protocol === "grpc" ? unwrapGrpcMessage(body) : body);
      result = route.invoke(call.request(message));
    } catch (err) {
      this.fail(err);
      return;
    }
    let res: UnaryResponse;
    try {
      res = await result;
    } catch (err) {
      this.fail(err);
      return;
    }
    this.succeed(res);
  }

  private succeed(res: UnaryResponse): void {
    const call = this.call;
    let body: Uint8Array;
    try {
      body = this.encode(res.message);
    } catch (err) {
      this.fail(err);
      return;
    }
    const header = call.headerOf(res);
    const trailer = call.trailerOf(res);
    call.end();
    if (this.protocol === "grpc") sendGrpcMessage(this.x, this.settings.acceptEncoding, body, header, trailer);
    else sendConnectMessage(this.x, this.binary, body, header, trailer);
    this.answered();
  }

  /**
   * The answer's body: for gRPC, the message in its envelope. The encoder
   * writes it with room for the envelope in front; what it leaves to
   * toBinary, and JSON, go through Connect's serialization (its errors and
   * limits), then into an envelope of their own.
   */
  private encode(message: unknown): Uint8Array {
    const grpc = this.protocol === "grpc";
    if (this.binary) {
      const prefix = grpc ? 5 : 0;
      const out = this.settings.encoder.tryEncode(this.route.method.output, message as Message, prefix);
      if (out !== undefined) {
        const size = out.length - prefix;
        if (size > this.settings.writeMaxBytes) {
          // Connect's words for it (limitSerialization).
          throw new ConnectError(`message size ${size} is larger than configured writeMaxBytes ${this.settings.writeMaxBytes}`, Code.ResourceExhausted);
        }
        return grpc ? sealEnvelope(out) : out;
      }
    }
    const body = this.route.serialization.getO(this.binary).serialize(message as never);
    return grpc ? envelope(body) : body;
  }

  private fail(err: unknown): void {
    const call = this.call;
    const error = err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    call.abort(error);
    if (this.protocol === "grpc") sendGrpcError(this.x, this.settings.acceptEncoding, error, call.peekResponseHeader(), call.peekResponseTrailer());
    else sendConnectError(this.x, this.settings.jsonOptions, error, call.peekResponseHeader(), call.peekResponseTrailer());
    this.answered();
    // Answered before the body was read to its end (a limit, the gate): the stream must not stay open on it.
    const stream = this.x.stream;
    if (!stream.readableEnded) closeWhenAnswered(stream);
  }

  /** Answered before the body is read: what comes of it is read and dropped. */
  private refuse(err: unknown): void {
    this.fail(err);
    this.x.stream.resume();
  }

  /**
   * Once answered, the stream (which Node keeps until it has closed) lets go
   * of the call: a stream still alive when V8 collects its young generation
   * would carry the whole call into the old one, to be freed only by a full
   * collection. The call drops what it made while it ran, for the same reason.
   */
  private answered(): void {
    unwatchClose(this.x.stream);
    this.call.release();
  }
}

function ignore(): void {}
