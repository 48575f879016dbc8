// Protobuf binary encoding into a buffer that is kept, for the fast path's
// answers and the lean client's requests.
//
// Why: protobuf-es's toBinary makes a writer per message, whose 128-byte
// buffer grows (to 256 bytes for a 131-byte GetUser answer) and is then copied
// out; the gRPC envelope copies it once more. Each of those is a new
// ArrayBuffer outside V8's heap, and together they were 5-6% of the echo
// server's CPU samples (docs/benchmarks/README.md, "Where the time goes").
// This encoder writes into one buffer an encoder keeps, behind the room the
// caller asks for (5 bytes: the envelope's flags and length), and copies the
// result once into a Buffer from Node's pool.
//
// The bytes are toBinary's: fields in number order, the same presence rules,
// map entries in key order as Object.keys gives them, unknown fields last.
// What it does not handle it leaves to toBinary, whole: a message type that
// uses groups (delimited encoding), proto2 required fields, google.protobuf.Struct
// in its JSON form or wrapper types unwrapped to scalars, anywhere in its tree;
// and at run time any value that is not of its field's usual JS type (a number
// for a 64-bit field, a string for an int32, an int32 out of range, a message
// of another type), so that toBinary either converts it as it always has or
// raises its own error. message-encoder.test.ts compares the two on every
// message of gen/ and on edge values of every scalar type.
import { ScalarType, toBinary, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Scratch, UNSUPPORTED } from "./binary-scratch.js";
import { mapKeyParser, scalarWriter, tagOf, WIRE_LEN, wireTypeOf, zeroTest, type ValueWriter } from "./scalar-writers.js";

type Writer = (s: Scratch, message: Record<string, unknown>) => void;

/** google.protobuf.FeatureSet.FieldPresence */
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

/** Whether this encoder can write every message of `desc`'s tree as toBinary does. */
function encodable(desc: DescMessage, seen = new Set<DescMessage>()): boolean {
  if (seen.has(desc)) return true;
  seen.add(desc);
  for (const field of desc.fields) {
    if (field.presence === LEGACY_REQUIRED) return false;
    if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") || (field.fieldKind === "map" && field.mapKind === "message")) {
      const child = field.message as DescMessage;
      if (field.delimitedEncoding) return false;
      if (child.typeName === "google.protobuf.Struct" && desc.typeName !== "google.protobuf.Value") return false;
      if (field.fieldKind === "message" && field.oneof === undefined && WRAPPERS.has(child.typeName)) return false;
      if (!encodable(child, seen)) return false;
    }
  }
  return true;
}

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((name) => `google.protobuf.${name}Value`),
);

const writers = new WeakMap<DescMessage, Writer | null>();

/** The compiled writer of a message type, or null when toBinary must write it. */
function writerOf(desc: DescMessage): Writer | null {
  let writer = writers.get(desc);
  if (writer === undefined) {
    writer = encodable(desc) ? compileMessage(desc) : null;
    writers.set(desc, writer);
  }
  return writer;
}

function compileMessage(desc: DescMessage): Writer {
  const typeName = desc.typeName;
  const fields: Writer[] = [];
  const writer: Writer = (s, message) => {
    if (message.$typeName !== typeName) throw UNSUPPORTED;
    for (let i = 0; i < fields.length; i++) (fields[i] as Writer)(s, message);
    const unknown = message.$unknown as Message["$unknown"];
    if (unknown !== undefined && s.writeUnknown) {
      for (const { no, wireType, data } of unknown) {
        s.uint32(tagOf(no, wireType));
        s.raw(data);
      }
    }
  };
  // Registered before its fields are compiled, so that a recursive type finds itself.
  writers.set(desc, writer);
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) fields.push(compileField(field));
  return writer;
}

/** Writes a child message, length-delimited, under its tag. */
function childWriter(fieldNo: number, desc: DescMessage): ValueWriter {
  const tag = tagOf(fieldNo, WIRE_LEN);
  // Compiled already, or being compiled (a recursive type): encodable() has checked the whole tree.
  const write = writerOf(desc) as Writer;
  return (s, value) => {
    if (value === null || typeof value !== "object") throw UNSUPPORTED;
    s.uint32(tag);
    const at = s.fork();
    write(s, value as Record<string, unknown>);
    s.join(at);
  };
}

function compileField(field: DescField): Writer {
  const name = field.localName;
  const fieldNo = field.number;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const tag = tagOf(fieldNo, wireTypeOf(type));
      const value = scalarWriter(type);
      const write: ValueWriter = (s, v) => {
        s.uint32(tag);
        value(s, v);
      };
      return present(field, write, field.presence === IMPLICIT && field.oneof === undefined ? zeroTest(field) : undefined);
    }
    case "message":
      return present(field, childWriter(fieldNo, field.message), undefined);
    case "list": {
      if (field.listKind === "message") {
        const item = childWriter(fieldNo, field.message);
        return (s, message) => {
          const items = message[name] as unknown[];
          for (let i = 0; i < items.length; i++) item(s, items[i]);
        };
      }
      const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const value = scalarWriter(type);
      if (field.packed) {
        const tag = tagOf(fieldNo, WIRE_LEN);
        return (s, message) => {
          const items = message[name] as unknown[];
          if (items.length === 0) return;
          s.uint32(tag);
          const at = s.fork();
          for (let i = 0; i < items.length; i++) value(s, items[i]);
          s.join(at);
        };
      }
      const tag = tagOf(fieldNo, wireTypeOf(type));
      return (s, message) => {
        const items = message[name] as unknown[];
        for (let i = 0; i < items.length; i++) {
          s.uint32(tag);
          value(s, items[i]);
        }
      };
    }
    case "map":
      return compileMap(field);
  }
}

/** A singular field written when it is set: its oneof's case, or by its presence rule. */
function present(field: DescField, write: ValueWriter, isZero: ((value: unknown) => boolean) | undefined): Writer {
  const name = field.localName;
  if (field.oneof !== undefined) {
    const oneof = field.oneof.localName;
    return (s, message) => {
      const selected = message[oneof] as { case: string | undefined; value?: unknown };
      if (selected.case === name) write(s, selected.value);
    };
  }
  if (isZero !== undefined) {
    return (s, message) => {
      const value = message[name];
      if (!isZero(value)) write(s, value);
    };
  }
  // Explicit presence: proto2 keeps defaults on the prototype, so only an own property is set.
  return (s, message) => {
    const value = message[name];
    if (value !== undefined && Object.hasOwn(message, name)) write(s, value);
  };
}

function compileMap(field: DescField & { fieldKind: "map" }): Writer {
  const name = field.localName;
  const entryTag = tagOf(field.number, WIRE_LEN);
  const keyTag = tagOf(1, wireTypeOf(field.mapKey));
  const key = scalarWriter(field.mapKey);
  const keyOf = mapKeyParser(field.mapKey);
  let value: ValueWriter;
  if (field.mapKind === "message") {
    // The value of a map entry is field 2.
    const child = childWriter(2, field.message);
    value = (s, v) => {
      // toBinary writes an empty message for a missing one; leave that to it.
      if (v === undefined) throw UNSUPPORTED;
      child(s, v);
    };
  } else {
    const type = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
    const valueTag = tagOf(2, wireTypeOf(type));
    const scalar = scalarWriter(type);
    value = (s, v) => {
      s.uint32(valueTag);
      scalar(s, v);
    };
  }
  return (s, message) => {
    const record = message[name] as Record<string, unknown>;
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      s.uint32(entryTag);
      const at = s.fork();
      s.uint32(keyTag);
      key(s, keyOf(k));
      value(s, record[k]);
      s.join(at);
    }
  };
}

export interface MessageEncoderOptions {
  /** Unknown fields a message carries are written, as toBinary does by default. Default: true. */
  readonly writeUnknownFields?: boolean;
  /** The buffer to start with, in bytes. Default: 16 KiB. */
  readonly initialBytes?: number;
  /** A buffer grown beyond this many bytes by a large message is let go after it. Default: 1 MiB. */
  readonly keepBytes?: number;
}

/**
 * Encodes messages as toBinary does, each into a Buffer of its own, after
 * `prefix` bytes left for the caller (the gRPC envelope's five). encode()
 * runs to its end without yielding and copies its result out, so one encoder
 * serves every call of an adapter or a channel's lane.
 */
export class MessageEncoder {
  readonly #options: Required<MessageEncoderOptions>;
  #scratch: Scratch;
  /** toBinary's options, for what this encoder leaves to it. */
  readonly #binaryOptions: { writeUnknownFields: boolean };

  constructor(options: MessageEncoderOptions = {}) {
    this.#options = { writeUnknownFields: true, initialBytes: 16 * 1024, keepBytes: 1024 * 1024, ...options };
    this.#scratch = new Scratch(this.#options.initialBytes, this.#options.writeUnknownFields);
    this.#binaryOptions = { writeUnknownFields: this.#options.writeUnknownFields };
  }

  /** `message`'s binary form after `prefix` bytes (left unwritten). Throws what toBinary throws. */
  encode(schema: DescMessage, message: Message, prefix = 0): Buffer {
    return this.tryEncode(schema, message, prefix) ?? withPrefix(toBinary(schema, message, this.#binaryOptions), prefix);
  }

  /** As encode(), or undefined when the message is one this encoder leaves to toBinary. */
  tryEncode(schema: DescMessage, message: Message, prefix = 0): Buffer | undefined {
    const writer = writerOf(schema);
    if (writer === null) return undefined;
    const s = this.#scratch;
    s.pos = prefix;
    try {
      writer(s, message as unknown as Record<string, unknown>);
      const out = Buffer.allocUnsafe(s.pos);
      s.buf.copy(out, prefix, prefix, s.pos);
      return out;
    } catch (err) {
      if (err === UNSUPPORTED) return undefined;
      throw err;
    } finally {
      // A large message grew the buffer: it is not kept for the small ones that follow.
      if (s.buf.length > this.#options.keepBytes) this.#scratch = new Scratch(this.#options.initialBytes, this.#options.writeUnknownFields);
    }
  }
}

function withPrefix(bytes: Uint8Array, prefix: number): Buffer {
  const out = Buffer.allocUnsafe(prefix + bytes.byteLength);
  out.set(bytes, prefix);
  return out;
}
