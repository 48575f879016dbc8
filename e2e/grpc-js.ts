// The reference gRPC implementation for Node as an outside client: the health
// client made from the grpc-health-check package's service definition, and
// raw calls through grpc-js's generic Client with protobuf bytes encoded and
// decoded by the suite (protobuf-es toBinary/fromBinary and the generated
// schemas), so nothing of the mesh's own client stack is involved.
import * as grpc from "@grpc/grpc-js";
import { anyUnpack, AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { service as healthService } from "grpc-health-check";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import * as reflection from "../gen/grpc/reflection/v1/reflection_pb.js";
import type { Detail } from "./callers.js";

export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

interface HealthClient extends grpc.Client {
  check(request: { service: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ status: HealthStatus }>): grpc.ClientUnaryCall;
  list(
    request: Record<string, never>,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<{ statuses: Record<string, { status: HealthStatus }> }>,
  ): grpc.ClientUnaryCall;
  watch(request: { service: string }, options: grpc.CallOptions): grpc.ClientReadableStream<{ status: HealthStatus }>;
}

const HealthClientConstructor = grpc.makeClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  "grpc.health.v1.Health",
) as unknown as new (address: string, credentials: grpc.ChannelCredentials) => HealthClient;

export function healthClient(address: string): HealthClient {
  return new HealthClientConstructor(address, grpc.credentials.createInsecure());
}

const deadline = (ms: number) => new Date(Date.now() + ms);

/** Check: the status, or the gRPC code of the failure. */
export function healthCheck(client: HealthClient, service: string, ms = 3_000): Promise<{ status: HealthStatus } | { code: number }> {
  return new Promise((resolve) => {
    client.check({ service }, { deadline: deadline(ms) }, (err, res) => resolve(err ? { code: err.code } : { status: res!.status }));
  });
}

export function healthList(client: HealthClient, ms = 3_000): Promise<Record<string, HealthStatus>> {
  return new Promise((resolve, reject) => {
    client.list({}, { deadline: deadline(ms) }, (err, res) => {
      if (err) reject(err);
      else resolve(Object.fromEntries(Object.entries(res!.statuses).map(([name, r]) => [name, r.status])));
    });
  });
}

/** Polls Check("") with a fresh client until SERVING; rejects after `ms`. */
export async function waitServing(address: string, ms: number, service = ""): Promise<void> {
  const client = healthClient(address);
  const until = Date.now() + ms;
  try {
    for (;;) {
      const answer = await healthCheck(client, service, 1_000);
      if ("status" in answer && answer.status === "SERVING") return;
      if (Date.now() > until) throw new Error(`${address} not SERVING within ${ms} ms (last: ${JSON.stringify(answer)})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    client.close();
  }
}

export type RawOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly code: number; readonly details: readonly Detail[] };

const identity = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** A unary call with protobuf bytes in and out, through grpc-js's generic Client. */
export function rawUnary(client: grpc.Client, path: string, request: Uint8Array, ms = 10_000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest<Uint8Array, Buffer>(path, identity, (b) => b, request, { deadline: deadline(ms) }, (err, res) => {
      if (err) resolve({ ok: false, code: err.code, details: statusDetails(err.metadata) });
      else resolve({ ok: true, bytes: new Uint8Array(res!) });
    });
  });
}

/** The google.rpc details of a gRPC error, from its grpc-status-details-bin trailer (a google.rpc.Status). */
export function statusDetails(metadata: grpc.Metadata | undefined): Detail[] {
  const [bin] = metadata?.get("grpc-status-details-bin") ?? [];
  if (bin === undefined || typeof bin === "string") return [];
  // google.rpc.Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
  const reader = new BinaryReader(bin);
  const anys: Any[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 3) anys.push(fromBinary(AnySchema, reader.bytes()));
    else reader.skip(wireType);
  }
  return anys.map((any): Detail => {
    const type = any.typeUrl.replace(/^type\.googleapis\.com\//, "");
    if (type === "google.rpc.BadRequest") {
      const message = anyUnpack(any, BadRequestSchema);
      return { type, fields: message?.fieldViolations.map((v) => v.field) ?? [] };
    }
    if (type === "google.rpc.ErrorInfo") {
      const message = anyUnpack(any, ErrorInfoSchema);
      return { type, reason: message?.reason ?? "", metadata: { ...message?.metadata } };
    }
    return { type };
  });
}

/**
 * A generic grpc-js client; with a token, every call carries it as
 * authorization metadata (an interceptor: grpc-js refuses call credentials on
 * an insecure channel).
 */
export function rawClient(address: string, token?: string): grpc.Client {
  const interceptors: grpc.Interceptor[] =
    token === undefined
      ? []
      : [
          (options, nextCall) =>
            new grpc.InterceptingCall(nextCall(options), {
              start(metadata, listener, next) {
                metadata.set("authorization", `Bearer ${token}`);
                next(metadata, listener);
              },
            }),
        ];
  return new grpc.Client(address, grpc.credentials.createInsecure(), { interceptors });
}

export { grpc };

/** Every status a health Watch stream sent, and how it ended. */
export interface HealthWatch {
  readonly statuses: HealthStatus[];
  /** Resolves with the gRPC code the stream ended with. */
  readonly ended: Promise<number>;
  waitFor(status: HealthStatus, ms: number): Promise<void>;
  cancel(): void;
}

export function watchHealth(client: HealthClient, service: string): HealthWatch {
  const call = client.watch({ service }, {});
  const statuses: HealthStatus[] = [];
  const waiters = new Set<() => void>();
  call.on("data", (res: { status: HealthStatus }) => {
    statuses.push(res.status);
    for (const w of waiters) w();
  });
  const ended = new Promise<number>((resolve) => {
    call.on("error", (err: grpc.ServiceError) => resolve(err.code));
    call.on("status", (status: grpc.StatusObject) => resolve(status.code));
  });
  return {
    statuses,
    ended,
    waitFor(status, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!statuses.includes(status)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`health Watch("${service}") saw ${JSON.stringify(statuses)}, not ${status}, within ${ms} ms`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    cancel: () => call.cancel(),
  };
}

/**
 * A reflection v1 stream held open: an in-flight call that lasts as long as
 * the test wants. `listServices` asks one question on it; `finish` ends the
 * request side and resolves with the code the call ended with.
 */
export interface HeldReflectionStream {
  listServices(ms: number): Promise<string[]>;
  finish(): Promise<number>;
}

export function holdReflectionStream(client: grpc.Client): HeldReflectionStream {
  const call = client.makeBidiStreamRequest<Uint8Array, Buffer>(
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    identity,
    (b) => b,
  );
  const answers: reflection.ServerReflectionResponse[] = [];
  const waiters = new Set<() => void>();
  call.on("data", (bytes: Buffer) => {
    answers.push(fromBinary(reflection.ServerReflectionResponseSchema, bytes));
    for (const w of waiters) w();
  });
  const ended = new Promise<number>((resolve) => {
    call.on("error", (err: grpc.ServiceError) => resolve(err.code));
    call.on("status", (status: grpc.StatusObject) => resolve(status.code));
  });
  return {
    listServices(ms) {
      const before = answers.length;
      call.write(
        toBinary(reflection.ServerReflectionRequestSchema, create(reflection.ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } })),
      );
      return new Promise((resolve, reject) => {
        const check = () => {
          const answer = answers[before];
          if (answer === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          if (answer.messageResponse.case !== "listServicesResponse") reject(new Error(`reflection answered ${answer.messageResponse.case}`));
          else resolve(answer.messageResponse.value.service.map((s) => s.name));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no reflection answer within ${ms} ms`));
        }, ms);
        waiters.add(check);
        void ended.then(() => setTimeout(check, 0));
      });
    },
    finish() {
      call.end();
      return ended;
    },
  };
}
