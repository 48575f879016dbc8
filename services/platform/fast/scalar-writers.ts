// How each protobuf scalar type is written (bare, without its tag), with its
// wire type and its zero value, for the message encoder (message-encoder.ts).
// A value not of its type's usual JS form (a number for a 64-bit field, a
// string for an int32, an int32 out of range) throws UNSUPPORTED, so that the
// encoder leaves the message to toBinary, which converts it as it always has
// or raises its own error.
import { ScalarType, type DescField } from "@bufbuild/protobuf";
import { UNSUPPORTED, type Scratch } from "./binary-scratch.js";

export type ValueWriter = (s: Scratch, value: unknown) => void;

const WIRE_VARINT = 0;
const WIRE_BIT64 = 1;
export const WIRE_LEN = 2;
const WIRE_BIT32 = 5;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Writes an unsigned 64-bit value given as a bigint in range. */
function writeUint64(s: Scratch, value: bigint): void {
  if (value <= 0xffffffffn) s.uint32(Number(value));
  else s.varint64(Number(value & 0xffffffffn), Number(value >> 32n));
}

function int64Of(value: unknown): bigint {
  if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) throw UNSUPPORTED;
  return value;
}

function uint64Of(value: unknown): bigint {
  if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) throw UNSUPPORTED;
  return value;
}

function int32Of(value: unknown): number {
  if (typeof value !== "number" || (value | 0) !== value) throw UNSUPPORTED;
  return value;
}

function uint32Of(value: unknown): number {
  if (typeof value !== "number" || value >>> 0 !== value) throw UNSUPPORTED;
  return value;
}

/** The bare value of a scalar (no tag), for each type; what is not of the usual type is left to toBinary. */
export function scalarWriter(type: ScalarType): ValueWriter {
  switch (type) {
    case ScalarType.STRING:
      return (s, v) => {
        if (typeof v !== "string") throw UNSUPPORTED;
        s.string(v);
      };
    case ScalarType.BYTES:
      return (s, v) => {
        if (!(v instanceof Uint8Array)) throw UNSUPPORTED;
        s.bytes(v);
      };
    case ScalarType.BOOL:
      return (s, v) => {
        if (typeof v !== "boolean") throw UNSUPPORTED;
        s.ensure(1);
        s.buf[s.pos++] = v ? 1 : 0;
      };
    case ScalarType.INT32:
      return (s, v) => s.int32(int32Of(v));
    case ScalarType.UINT32:
      return (s, v) => s.uint32(uint32Of(v));
    case ScalarType.SINT32:
      return (s, v) => {
        const n = int32Of(v);
        s.uint32(((n << 1) ^ (n >> 31)) >>> 0);
      };
    case ScalarType.FIXED32:
      return (s, v) => {
        const n = uint32Of(v);
        s.ensure(4);
        s.view.setUint32(s.pos, n, true);
        s.pos += 4;
      };
    case ScalarType.SFIXED32:
      return (s, v) => {
        const n = int32Of(v);
        s.ensure(4);
        s.view.setInt32(s.pos, n, true);
        s.pos += 4;
      };
    case ScalarType.FLOAT:
      return (s, v) => {
        // A finite number that rounds to an infinite float32 is an error of toBinary's.
        if (typeof v !== "number" || (Number.isFinite(v) && !Number.isFinite(Math.fround(v)))) throw UNSUPPORTED;
        s.ensure(4);
        s.view.setFloat32(s.pos, v, true);
        s.pos += 4;
      };
    case ScalarType.DOUBLE:
      return (s, v) => {
        if (typeof v !== "number") throw UNSUPPORTED;
        s.ensure(8);
        s.view.setFloat64(s.pos, v, true);
        s.pos += 8;
      };
    case ScalarType.INT64:
      return (s, v) => {
        const n = int64Of(v);
        // A negative value is written as its 64-bit two's complement (ten bytes).
        writeUint64(s, n >= 0n ? n : BigInt.asUintN(64, n));
      };
    case ScalarType.UINT64:
      return (s, v) => writeUint64(s, uint64Of(v));
    case ScalarType.SINT64:
      return (s, v) => {
        const n = int64Of(v);
        writeUint64(s, BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
      };
    case ScalarType.FIXED64:
      return (s, v) => {
        const n = uint64Of(v);
        s.ensure(8);
        s.view.setBigUint64(s.pos, n, true);
        s.pos += 8;
      };
    case ScalarType.SFIXED64:
      return (s, v) => {
        const n = int64Of(v);
        s.ensure(8);
        s.view.setBigInt64(s.pos, n, true);
        s.pos += 8;
      };
  }
}

export function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WIRE_LEN;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WIRE_BIT64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WIRE_BIT32;
    default:
      return WIRE_VARINT;
  }
}

export function tagOf(fieldNo: number, wireType: number): number {
  return ((fieldNo << 3) | wireType) >>> 0;
}

/** Whether an implicit-presence value is its type's zero, which proto3 leaves out. */
export function zeroTest(field: DescField & { fieldKind: "scalar" | "enum" }): (value: unknown) => boolean {
  if (field.fieldKind === "enum") {
    const zero = field.enum.values[0]?.number ?? 0;
    return (v) => v === zero;
  }
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (v) => v === false;
    case ScalarType.STRING:
      return (v) => v === "";
    case ScalarType.BYTES:
      return (v) => v instanceof Uint8Array && v.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      // -0 is not the zero value: its bits differ, and toBinary writes it.
      return (v) => Object.is(v, 0);
    default:
      // 0, 0n and "0" (a 64-bit value as a string) alike.
      return (v) => v == 0;
  }
}

/** Map keys are object keys, so strings: each back to its key type, as toBinary converts them. */
export function mapKeyParser(type: ScalarType): (key: string) => unknown {
  switch (type) {
    case ScalarType.STRING:
      return (k) => k;
    case ScalarType.BOOL:
      return (k) => {
        if (k === "true") return true;
        if (k === "false") return false;
        throw UNSUPPORTED;
      };
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return (k) => {
        if (!/^-?[0-9]+$/.test(k)) throw UNSUPPORTED;
        return BigInt(k);
      };
    default:
      return (k) => {
        // Canonical decimal only; anything Number.parseInt would read otherwise is toBinary's.
        const n = Number(k);
        if (!/^-?[0-9]+$/.test(k) || String(n) !== k) throw UNSUPPORTED;
        return n;
      };
  }
}
