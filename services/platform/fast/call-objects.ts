// The request, handler context and response a fast-path call hands to
// interceptors and handlers, in the shapes Connect gives them (UnaryRequest,
// HandlerContext, UnaryResponse), with the costly members made on first read.
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { ContextValues, UnaryRequest } from "@connectrpc/connect";
import { kCallEnd } from "../call-end.js";
import type { UnaryCall } from "./unary-call.js";

/** Links an interceptor request (and copies of it) to its call. */
export const kCall = Symbol("fast-path unary call");

// The costly members are accessors of each object's own (enumerable, so that
// a spread copy, as interceptors make, reads them too), defined from one
// shared descriptor: an object literal with getters makes new closures and
// accessor pairs each time, about 1.5 us per object against 0.2 us (measured
// on Node 24).

const kRequest = Symbol("request of the context");

function ownAccessor(get: (this: never) => unknown): PropertyDescriptor {
  return { get, enumerable: true, configurable: true };
}

const CALL_SIGNAL = ownAccessor(function (this: { [kCall]: UnaryCall }) {
  return this[kCall].signal;
});
const REQUEST_SIGNAL = ownAccessor(function (this: { [kRequest]: UnaryRequest }) {
  return this[kRequest].signal;
});
const RESPONSE_HEADER = ownAccessor(function (this: { [kCall]: UnaryCall }) {
  return this[kCall].responseHeader;
});
const RESPONSE_TRAILER = ownAccessor(function (this: { [kCall]: UnaryCall }) {
  return this[kCall].responseTrailer;
});
const CONTEXT_RESPONSE_HEADER = ownAccessor(function (this: { [kCallEnd]: UnaryCall }) {
  return this[kCallEnd].responseHeader;
});
const CONTEXT_RESPONSE_TRAILER = ownAccessor(function (this: { [kCallEnd]: UnaryCall }) {
  return this[kCallEnd].responseTrailer;
});

export class FastRequest {
  readonly stream = false;
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly requestMethod = "POST";
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: ContextValues;
  /** Undefined while the request gate runs, before the body is read (see UnaryCall.request). */
  message: unknown;
  readonly [kCall]: UnaryCall;

  constructor(call: UnaryCall, message: unknown) {
    const init = call.init;
    this.service = init.service;
    this.method = init.method;
    this.url = init.url;
    this.header = init.requestHeader;
    this.contextValues = init.values;
    this.message = message;
    this[kCall] = call;
    Object.defineProperty(this, "signal", CALL_SIGNAL);
  }
}

export class FastContext {
  readonly method: DescMethodUnary;
  readonly service: DescService;
  readonly protocolName: string;
  readonly requestMethod = "POST";
  readonly url: string;
  readonly requestHeader: Headers;
  readonly values: ContextValues;
  /** A closure, not a method: handlers may call it detached (`const { timeoutMs } = ctx`). */
  readonly timeoutMs: () => number | undefined;
  readonly [kCallEnd]: UnaryCall;
  readonly [kRequest]: UnaryRequest;

  constructor(call: UnaryCall, req: UnaryRequest) {
    const init = call.init;
    this.method = init.method;
    this.service = req.service;
    this.protocolName = init.protocolName;
    this.url = init.url;
    this.requestHeader = req.header;
    this.values = req.contextValues;
    this.timeoutMs = () => call.timeoutMs();
    this[kCallEnd] = call;
    this[kRequest] = req;
    Object.defineProperty(this, "signal", REQUEST_SIGNAL);
    Object.defineProperty(this, "responseHeader", CONTEXT_RESPONSE_HEADER);
    Object.defineProperty(this, "responseTrailer", CONTEXT_RESPONSE_TRAILER);
  }
}

export class FastResponse {
  readonly stream = false;
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly message: unknown;
  readonly [kCall]: UnaryCall;

  constructor(call: UnaryCall, message: unknown) {
    this.service = call.init.service;
    this.method = call.init.method;
    this.message = message;
    this[kCall] = call;
    Object.defineProperty(this, "header", RESPONSE_HEADER);
    Object.defineProperty(this, "trailer", RESPONSE_TRAILER);
  }
}
