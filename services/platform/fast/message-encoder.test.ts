// The encoder against toBinary, byte for byte: on every message type of gen/
// and of protobuf-es's well-known types, filled with seeded random values, and
// on test types built here with every scalar type in every field form, maps of
// every key type, oneofs, proto2 defaults and the forms left to toBinary.
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  create,
  createFileRegistry,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import * as wkt from "@bufbuild/protobuf/wkt";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  type DescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { MessageEncoder } from "./message-encoder.js";

/** google.protobuf.FeatureSet.FieldPresence.LEGACY_REQUIRED */
const LEGACY_REQUIRED = 3;

// --- seeded random values -------------------------------------------------

/** mulberry32: the same values on every run, so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ["", "a", "héllo", "日本語", "emoji 😀", "\ud800 lone", "x".repeat(127), "x".repeat(128), "é".repeat(70), "y".repeat(20_000), "ü".repeat(9_000)];
const EDGES: Record<number, unknown[]> = {
  [ScalarType.DOUBLE]: [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Number.NaN, Infinity, -Infinity],
  [ScalarType.FLOAT]: [0, -0, 1.5, -3.4028234663852886e38, 1e-45, Number.NaN, Infinity, 0.1],
  [ScalarType.INT32]: [0, 1, -1, 127, 128, 2 ** 31 - 1, -(2 ** 31), 300],
  [ScalarType.SINT32]: [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), -64, 64],
  [ScalarType.SFIXED32]: [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)],
  [ScalarType.UINT32]: [0, 1, 127, 128, 16_383, 16_384, 2 ** 32 - 1],
  [ScalarType.FIXED32]: [0, 1, 2 ** 32 - 1, 2 ** 31],
  [ScalarType.INT64]: [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, 2n ** 35n + 7n, -(2n ** 40n)],
  [ScalarType.SINT64]: [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 33n)],
  [ScalarType.SFIXED64]: [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)],
  [ScalarType.UINT64]: [0n, 1n, 2n ** 64n - 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 56n],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n, 2n ** 33n],
  [ScalarType.BOOL]: [true, false],
  [ScalarType.STRING]: STRINGS,
  [ScalarType.BYTES]: [new Uint8Array(0), new Uint8Array([0, 255]), new Uint8Array(200).fill(7), new Uint8Array(20_000).fill(1)],
};

class Filler {
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = seeded(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.#random() < p;
  }

  scalar(type: ScalarType): unknown {
    const edges = EDGES[type] as unknown[];
    if (this.chance(0.6)) return this.pick(edges);
    const n = Math.floor(this.#random() * 2 ** 31) * (this.chance(0.3) ? -1 : 1);
    switch (type) {
      case ScalarType.DOUBLE:
        return n / 7;
      case ScalarType.FLOAT:
        return Math.fround(n / 3);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return Math.abs(n);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return BigInt(n) * BigInt(Math.floor(this.#random() * 2 ** 31));
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return BigInt(Math.abs(n)) * BigInt(Math.floor(this.#random() * 2 ** 32));
      default:
        return edges.includes(n) ? n : this.pick(edges);
    }
  }

  enumValue(desc: DescEnum): number {
    // Open enums take numbers they do not name.
    return this.chance(0.1) ? 9 : this.pick(desc.values).number;
  }

  mapKey(type: ScalarType): string {
    const key = this.scalar(type);
    return typeof key === "string" ? key.slice(0, 30) : String(key);
  }

  /** A message of `desc` with each field set or not, at random; nothing below `depth` 0. */
  message(desc: DescMessage, depth: number): Message {
    const message = create(desc) as unknown as Record<string, unknown>;
    for (const oneof of desc.oneofs) {
      if (oneof.kind !== "oneof" || !this.chance(0.7)) continue;
      const field = this.pick(oneof.fields);
      const value = this.value(field, depth);
      if (value !== undefined) message[oneof.localName] = { case: field.localName, value };
    }
    for (const field of desc.fields) {
      // proto2's required fields are nearly always set, so that most such messages can be encoded.
      if (field.oneof !== undefined || !this.chance(field.presence === LEGACY_REQUIRED ? 0.95 : 0.75)) continue;
      const value = this.field(field, depth);
      if (value !== undefined) message[field.localName] = value;
    }
    if (this.chance(0.1)) message.$unknown = [{ no: 4_000, wireType: 0, data: new Uint8Array([0x96, 0x01]) }];
    return message as unknown as Message;
  }

  field(field: DescField, depth: number): unknown {
    switch (field.fieldKind) {
      case "list": {
        // Long lists of scalars (a packed list's length past one byte), short ones of messages.
        const count = this.pick(field.listKind === "message" ? [0, 1, 2] : [0, 1, 3, 50]);
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) {
          const item = this.element(field.listKind, field, depth);
          if (item !== undefined) items.push(item);
        }
        return items;
      }
      case "map": {
        const record: Record<string, unknown> = {};
        for (let i = this.pick(field.mapKind === "message" ? [0, 1, 2] : [0, 1, 4]); i > 0; i--) {
          const value = this.element(field.mapKind, field, depth);
          if (value !== undefined) record[this.mapKey(field.mapKey)] = value;
        }
        return record;
      }
      default:
        return this.value(field, depth);
    }
  }

  /** An item of a list or a value of a map; no message below `depth` 0. */
  element(kind: "scalar" | "enum" | "message", field: DescField & { fieldKind: "list" | "map" }, depth: number): unknown {
    if (kind === "scalar") return this.scalar(field.scalar as ScalarType);
    if (kind === "enum") return this.enumValue(field.enum as DescEnum);
    return depth > 0 ? this.message(field.message as DescMessage, depth - 1) : undefined;
  }

  /** A singular field's value, in protobuf-es's local form. */
  value(field: DescField, depth: number): unknown {
    if (field.fieldKind === "scalar") return this.scalar(field.scalar);
    if (field.fieldKind === "enum") return this.enumValue(field.enum);
    if (field.fieldKind !== "message" || depth <= 0) return undefined;
    const child = field.message;
    // Wrappers outside a oneof are unwrapped to their value, a Struct is a JSON object (protobuf-es's local forms).
    if (field.oneof === undefined && child.typeName.startsWith("google.protobuf.") && child.typeName.endsWith("Value") && child.fields.length === 1) {
      const inner = child.fields[0] as DescField;
      return inner.fieldKind === "scalar" ? this.scalar(inner.scalar) : undefined;
    }
    if (child.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value") return { a: 1, b: ["x", null, true] };
    return this.message(child, depth - 1);
  }
}

// --- what is compared -------------------------------------------------------

function allMessages(file: DescFile): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (messages: readonly DescMessage[]) => {
    for (const m of messages) {
      out.push(m);
      walk(m.nestedMessages);
    }
  };
  walk(file.messages);
  return out;
}

/** Encodes `message` both ways and compares; returns whether the encoder wrote it itself. */
function check(encoder: MessageEncoder, desc: DescMessage, message: Message, label: string): boolean {
  let expected: Uint8Array;
  try {
    expected = toBinary(desc, message);
  } catch (err) {
    // A required field left unset: the same error either way.
    assert.throws(() => encoder.encode(desc, message, 5), { message: (err as Error).message }, label);
    return false;
  }
  const own = encoder.tryEncode(desc, message, 5);
  const bytes = encoder.encode(desc, message, 5);
  assert.deepEqual(new Uint8Array(bytes.subarray(5)), expected, `${label}: encode() differs from toBinary`);
  if (own !== undefined) assert.deepEqual(new Uint8Array(own.subarray(5)), expected, `${label}: tryEncode() differs from toBinary`);
  return own !== undefined;
}

function fuzz(desc: DescMessage, rounds: number, seed: number): { own: number; total: number } {
  const encoder = new MessageEncoder({ initialBytes: 64 });
  const filler = new Filler(seed);
  let own = 0;
  for (let i = 0; i < rounds; i++) {
    if (check(encoder, desc, filler.message(desc, 2), `${desc.typeName} #${i} (seed ${seed})`)) own++;
  }
  return { own, total: rounds };
}

// --- test types ------------------------------------------------------------

type FieldDescriptorProto = MessageInitShape<typeof FieldDescriptorProtoSchema>;
type DescriptorProto = MessageInitShape<typeof DescriptorProtoSchema>;

const SCALARS: Array<[string, Type]> = [
  ["double", Type.DOUBLE],
  ["float", Type.FLOAT],
  ["int64", Type.INT64],
  ["uint64", Type.UINT64],
  ["int32", Type.INT32],
  ["fixed64", Type.FIXED64],
  ["fixed32", Type.FIXED32],
  ["bool", Type.BOOL],
  ["string", Type.STRING],
  ["bytes", Type.BYTES],
  ["uint32", Type.UINT32],
  ["sfixed32", Type.SFIXED32],
  ["sfixed64", Type.SFIXED64],
  ["sint32", Type.SINT32],
  ["sint64", Type.SINT64],
];
const MAP_KEYS = SCALARS.filter(([, t]) => t !== Type.DOUBLE && t !== Type.FLOAT && t !== Type.BYTES);

function field(name: string, number: number, type: Type, more: FieldDescriptorProto = {}): FieldDescriptorProto {
  return { name, number, type, label: Label.OPTIONAL, ...more };
}

/** proto3: every scalar singular, optional, repeated (packed) and unpacked; enums; oneof; maps of every key type. */
function proto3Types(): DescriptorProto[] {
  const fields: FieldDescriptorProto[] = [];
  const nested: DescriptorProto[] = [];
  const oneofs = [{ name: "choice" }];
  SCALARS.forEach(([name, type], i) => {
    fields.push(field(`s_${name}`, 1 + i, type));
    oneofs.push({ name: `_o_${name}` });
    fields.push(field(`o_${name}`, 16 + i, type, { proto3Optional: true, oneofIndex: oneofs.length - 1 }));
    fields.push(field(`r_${name}`, 31 + i, type, { label: Label.REPEATED }));
    if (type !== Type.STRING && type !== Type.BYTES) fields.push(field(`u_${name}`, 46 + i, type, { label: Label.REPEATED, options: { packed: false } as never }));
  });
  fields.push(field("color", 61, Type.ENUM, { typeName: ".enctest.Color" }));
  oneofs.push({ name: "_o_color" });
  fields.push(field("o_color", 62, Type.ENUM, { typeName: ".enctest.Color", proto3Optional: true, oneofIndex: oneofs.length - 1 }));
  fields.push(field("colors", 63, Type.ENUM, { typeName: ".enctest.Color", label: Label.REPEATED }));
  fields.push(field("child", 64, Type.MESSAGE, { typeName: ".enctest.Everything" }));
  fields.push(field("children", 65, Type.MESSAGE, { typeName: ".enctest.Everything", label: Label.REPEATED }));
  fields.push(field("c_string", 70, Type.STRING, { oneofIndex: 0 }));
  fields.push(field("c_child", 71, Type.MESSAGE, { typeName: ".enctest.Everything", oneofIndex: 0 }));
  fields.push(field("c_color", 72, Type.ENUM, { typeName: ".enctest.Color", oneofIndex: 0 }));
  fields.push(field("c_int64", 73, Type.INT64, { oneofIndex: 0 }));
  fields.push(field("c_wrapped", 74, Type.MESSAGE, { typeName: ".google.protobuf.StringValue", oneofIndex: 0 }));
  const values: Array<[string, FieldDescriptorProto]> = [
    ["string", { type: Type.STRING }],
    ["double", { type: Type.DOUBLE }],
    ["color", { type: Type.ENUM, typeName: ".enctest.Color" }],
    ["child", { type: Type.MESSAGE, typeName: ".enctest.Everything" }],
  ];
  MAP_KEYS.forEach(([name, type], i) => {
    const [valueName, value] = values[i % values.length] as [string, FieldDescriptorProto];
    const entry = `M${i}Entry`;
    nested.push({ name: entry, field: [field("key", 1, type), { name: "value", number: 2, label: Label.OPTIONAL, ...value }], options: { mapEntry: true } as never });
    fields.push(field(`m_${name}_${valueName}`, 80 + i, Type.MESSAGE, { label: Label.REPEATED, typeName: `.enctest.Everything.${entry}` }));
  });
  fields.push(field("time", 100, Type.MESSAGE, { typeName: ".google.protobuf.Timestamp" }));
  fields.push(field("value", 101, Type.MESSAGE, { typeName: ".google.protobuf.Value" }));
  fields.push(field("list", 102, Type.MESSAGE, { typeName: ".google.protobuf.ListValue" }));
  fields.push(field("wrapped_list", 103, Type.MESSAGE, { typeName: ".google.protobuf.StringValue", label: Label.REPEATED }));
  fields.push(field("any", 104, Type.MESSAGE, { typeName: ".google.protobuf.Any" }));
  // Declared out of number order: toBinary writes by number.
  fields.reverse();
  return [
    { name: "Everything", field: fields, nestedType: nested, oneofDecl: oneofs },
    { name: "Wrapped", field: [field("name", 1, Type.MESSAGE, { typeName: ".google.protobuf.StringValue" })] },
    { name: "WithStruct", field: [field("s", 1, Type.MESSAGE, { typeName: ".google.protobuf.Struct" })] },
  ];
}

function registry() {
  const deps = new Map<string, DescFile>(
    [wkt.file_google_protobuf_wrappers, wkt.file_google_protobuf_struct, wkt.file_google_protobuf_timestamp, wkt.file_google_protobuf_any].map((f) => [f.proto.name, f]),
  );
  const dependency = [...deps.keys()];
  const proto3 = create(FileDescriptorProtoSchema, {
    name: "enctest3.proto",
    package: "enctest",
    syntax: "proto3",
    dependency,
    enumType: [{ name: "Color", value: [{ name: "COLOR_UNSPECIFIED", number: 0 }, { name: "RED", number: 1 }, { name: "NEGATIVE", number: -5 }] }],
    messageType: proto3Types(),
  });
  const proto2 = create(FileDescriptorProtoSchema, {
    name: "enctest2.proto",
    package: "enctest2",
    syntax: "proto2",
    enumType: [{ name: "Level", value: [{ name: "ONE", number: 1 }, { name: "TWO", number: 2 }] }],
    messageType: [
      {
        name: "Legacy",
        field: [
          field("a", 1, Type.INT32, { defaultValue: "7" }),
          field("b", 2, Type.STRING, { defaultValue: "x" }),
          field("c", 3, Type.INT32, { label: Label.REPEATED }),
          field("child", 4, Type.MESSAGE, { typeName: ".enctest2.Legacy" }),
          field("level", 5, Type.ENUM, { typeName: ".enctest2.Level", defaultValue: "TWO" }),
          field("d", 6, Type.SINT64, { label: Label.REPEATED, options: { packed: true } as never }),
        ],
      },
      { name: "WithRequired", field: [field("a", 1, Type.INT32, { label: Label.REQUIRED })] },
      {
        name: "WithGroup",
        field: [field("g", 1, Type.GROUP, { typeName: ".enctest2.WithGroup.G" })],
        nestedType: [{ name: "G", field: [field("x", 2, Type.INT32)] }],
      },
    ],
  });
  const resolve = (name: string) => deps.get(name);
  const r3 = createFileRegistry(proto3, resolve);
  const r2 = createFileRegistry(proto2, resolve);
  const get = (r: typeof r3, name: string) => r.getMessage(name) ?? assert.fail(`no ${name}`);
  return {
    everything: get(r3, "enctest.Everything"),
    wrapped: get(r3, "enctest.Wrapped"),
    withStruct: get(r3, "enctest.WithStruct"),
    legacy: get(r2, "enctest2.Legacy"),
    withRequired: get(r2, "enctest2.WithRequired"),
    withGroup: get(r2, "enctest2.WithGroup"),
  };
}

// --- tests ------------------------------------------------------------------

test("every scalar type in every field form, maps of every key type, oneofs: the same bytes as toBinary, written by the encoder", () => {
  const { everything } = registry();
  for (const seed of [1, 2, 3]) {
    const { own, total } = fuzz(everything, 150, seed);
    assert.equal(own, total, "a well-typed message was left to toBinary");
  }
});

test("proto2: defaults on the prototype are not written, set ones are, unpacked and packed lists", () => {
  const { legacy } = registry();
  const { own, total } = fuzz(legacy, 300, 4);
  assert.equal(own, total);
  const encoder = new MessageEncoder();
  // Unset: the default (7) lives on the prototype and is not written; set to the default, it is.
  const unset = create(legacy);
  assert.equal((unset as unknown as Record<string, unknown>).a, 7);
  assert.deepEqual(new Uint8Array(encoder.encode(legacy, unset)), new Uint8Array(0));
  const set = create(legacy, { a: 7 } as never);
  assert.deepEqual(new Uint8Array(encoder.encode(legacy, set)), new Uint8Array([0x08, 0x07]));
});

test("what the encoder leaves to toBinary: required fields, groups, unwrapped wrappers, Struct as JSON", () => {
  const types = registry();
  for (const desc of [types.withRequired, types.withGroup, types.wrapped, types.withStruct]) {
    const { own } = fuzz(desc, 50, 5);
    assert.equal(own, 0, `${desc.typeName} was written by the encoder`);
  }
  // And a message holding one of them, anywhere in its tree.
  const encoder = new MessageEncoder();
  assert.equal(encoder.tryEncode(types.withStruct, create(types.withStruct)), undefined);
});

test("values not of their field's usual type give toBinary's bytes, or toBinary's error", () => {
  const { everything } = registry();
  const encoder = new MessageEncoder();
  const make = (init: Record<string, unknown>) => Object.assign(create(everything), init) as Message;
  // A number for an int64 and a string for an int32: toBinary converts them.
  for (const init of [{ sInt64: 5 }, { sInt32: "12" }, { sUint64: "18446744073709551615" }, { sBool: 1 }, { sDouble: "1.5" }]) {
    const message = make(init);
    assert.equal(encoder.tryEncode(everything, message), undefined, JSON.stringify(init));
    assert.deepEqual(new Uint8Array(encoder.encode(everything, message)), toBinary(everything, message));
  }
  // Out of range, not an integer, a message of another type: toBinary's error.
  for (const init of [{ sInt32: 2 ** 31 }, { sUint32: -1 }, { sInt32: 1.5 }, { sInt64: 2n ** 63n }, { sFloat: 1e39 }, { child: create(wkt.EmptySchema) }]) {
    const message = make(init);
    const expected = (() => {
      try {
        toBinary(everything, message);
      } catch (err) {
        return err as Error;
      }
      return assert.fail(`toBinary accepted ${String(Object.values(init)[0])}`);
    })();
    assert.throws(() => encoder.encode(everything, message), { message: expected.message });
  }
});

test("lengths that take more than one byte, a buffer grown past what is kept, unknown fields on or off", () => {
  const { everything } = registry();
  const encoder = new MessageEncoder({ initialBytes: 16, keepBytes: 4096 });
  for (const size of [126, 127, 128, 16_382, 16_383, 16_384, 2_100_000]) {
    const message = create(everything, { child: { sString: "x".repeat(size) }, children: [{ sBytes: new Uint8Array(size) }] } as never);
    assert.ok(check(encoder, everything, message, `${size} bytes`));
  }
  // Small again after the large one.
  assert.ok(check(encoder, everything, create(everything, { sInt32: 3 } as never), "after a large message"));
  const message = Object.assign(create(everything, { sInt32: 3 } as never), { $unknown: [{ no: 999, wireType: 2, data: new Uint8Array([1, 65]) }] });
  const without = new MessageEncoder({ writeUnknownFields: false });
  assert.deepEqual(new Uint8Array(without.encode(everything, message)), toBinary(everything, message, { writeUnknownFields: false }));
  assert.deepEqual(new Uint8Array(new MessageEncoder().encode(everything, message)), toBinary(everything, message));
});

test("every message type of gen/ and of the well-known types", async () => {
  const genRoot = fileURLToPath(new URL("../../../gen/", import.meta.url));
  const files: DescFile[] = [];
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
  for (const path of walk(genRoot).filter((p) => p.endsWith("_pb.ts"))) {
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const found = Object.entries(module).filter(([name]) => name.startsWith("file_")).map(([, f]) => f as DescFile);
    assert.ok(found.length > 0, `no file descriptor exported by ${relative(genRoot, path)}`);
    files.push(...found);
  }
  files.push(...Object.entries(wkt).filter(([name]) => name.startsWith("file_google_protobuf_")).map(([, f]) => f as DescFile));
  let types = 0;
  for (const file of files) {
    for (const desc of allMessages(file)) {
      const { own, total } = fuzz(desc, 40, types + 10);
      types++;
      // Our services' messages are all of the kinds the encoder writes.
      if (desc.typeName.startsWith("mesh.")) assert.equal(own, total, `${desc.typeName} left to toBinary`);
    }
  }
  assert.ok(types > 100, `only ${types} message types found`);
});
