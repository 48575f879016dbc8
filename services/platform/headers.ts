// A Headers class (the Fetch standard's, https://fetch.spec.whatwg.org/#headers-class)
// that the bundles (scripts/bundle.ts) use in place of the global one.
//
// Why: Node's global Headers is a lazy getter that loads undici, Node's whole
// fetch implementation, the first time anything reads it. Connect reads it for
// every call's metadata and every ConnectError, so an idle service that has
// answered one health check carries undici's code and objects: about 2.5 MiB of
// resident memory (docs/benchmarks/README.md, Memory). Nothing in a service
// calls fetch, so the bundles bind the name `Headers` in their own code to this
// class instead (esbuild's inject). globalThis.Headers is left as it is, and code
// run from source (tests, `npm start`) uses the global one.
//
// It does what Connect, our platform and handlers use, with the standard's
// rules: names are HTTP tokens, kept lower-case; values are byte strings,
// trimmed of HTTP whitespace, without NUL, CR or LF; append joins values with
// ", " except set-cookie, whose values stay apart (getSetCookie); iteration is
// by sorted name. Bad input throws a TypeError, as the global class does.
// headers.test.ts runs the same operations on both and compares the results.
// Left out: the guards of request and response objects (immutable headers),
// which only fetch uses.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters a value may not hold once trimmed, and those outside a byte string. */
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;
const NOT_A_BYTE = /[^\0-\xff]/;
const HTTP_WHITESPACE_AROUND = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const SET_COOKIE = "set-cookie";

function headerName(operation: string, name: unknown): string {
  const text = byteString(operation, name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers.${operation}: "${text}" is an invalid header name.`);
  return text.toLowerCase();
}

function headerValue(operation: string, value: unknown): string {
  const text = byteString(operation, value).replace(HTTP_WHITESPACE_AROUND, "");
  if (FORBIDDEN_IN_VALUE.test(text)) throw new TypeError(`Headers.${operation}: "${text}" is an invalid header value.`);
  return text;
}

function byteString(operation: string, value: unknown): string {
  if (typeof value === "symbol") throw new TypeError(`Headers.${operation}: a symbol cannot be converted to a ByteString.`);
  const text = String(value);
  if (NOT_A_BYTE.test(text)) throw new TypeError(`Headers.${operation}: "${text}" holds a character above U+00FF, which is not a ByteString.`);
  return text;
}

function requireArguments(operation: string, given: number, wanted: number): void {
  if (given < wanted) throw new TypeError(`Headers.${operation}: ${wanted} argument${wanted === 1 ? "" : "s"} required, but only ${given} found.`);
}

export class Headers implements globalThis.Headers {
  /** Lower-case name -> the values joined by ", " (set-cookie is kept in #cookies). */
  readonly #values = new Map<string, string>();
  #cookies: string[] | undefined;

  constructor(init?: ConstructorParameters<typeof globalThis.Headers>[0] | Iterable<readonly [string, string]>) {
    if (init === undefined) return;
    if (typeof init !== "object" || init === null) {
      throw new TypeError("Headers constructor: the argument is neither a sequence of name/value pairs nor a record.");
    }
    if (Symbol.iterator in init) {
      for (const pair of init as Iterable<readonly string[]>) {
        if (pair.length !== 2) throw new TypeError(`Headers constructor: expected name/value pair to be length 2, found ${pair.length}.`);
        this.append(pair[0] as string, pair[1] as string);
      }
      return;
    }
    // Every own key, enumerable or not, as Node's class does (the standard would skip the non-enumerable ones).
    for (const key of Reflect.ownKeys(init)) {
      if (typeof key === "symbol") throw new TypeError("Headers constructor: a record's key is a symbol, which is not a ByteString.");
      this.append(key, (init as Record<string, string>)[key] as string);
    }
  }

  append(name: string, value: string): void {
    requireArguments("append", arguments.length, 2);
    const key = headerName("append", name);
    const text = headerValue("append", value);
    if (key === SET_COOKIE) {
      (this.#cookies ??= []).push(text);
      return;
    }
    const existing = this.#values.get(key);
    this.#values.set(key, existing === undefined ? text : `${existing}, ${text}`);
  }

  set(name: string, value: string): void {
    requireArguments("set", arguments.length, 2);
    const key = headerName("set", name);
    const text = headerValue("set", value);
    if (key === SET_COOKIE) this.#cookies = [text];
    else this.#values.set(key, text);
  }

  delete(name: string): void {
    requireArguments("delete", arguments.length, 1);
    const key = headerName("delete", name);
    if (key === SET_COOKIE) this.#cookies = undefined;
    else this.#values.delete(key);
  }

  get(name: string): string | null {
    requireArguments("get", arguments.length, 1);
    const key = headerName("get", name);
    if (key === SET_COOKIE) return this.#cookies === undefined ? null : this.#cookies.join(", ");
    return this.#values.get(key) ?? null;
  }

  has(name: string): boolean {
    requireArguments("has", arguments.length, 1);
    const key = headerName("has", name);
    return key === SET_COOKIE ? this.#cookies !== undefined : this.#values.has(key);
  }

  getSetCookie(): string[] {
    return this.#cookies === undefined ? [] : [...this.#cookies];
  }

  forEach(callback: (value: string, key: string, parent: globalThis.Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== "function") throw new TypeError("Headers.forEach: the callback is not a function.");
    for (const [key, value] of this.#sorted()) callback.call(thisArg, value, key, this);
  }

  *entries(): IterableIterator<[string, string]> {
    yield* this.#sorted();
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this.#sorted()) yield key;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.#sorted()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }

  /** The standard's "sort and combine": by name, each set-cookie value on its own. */
  #sorted(): [string, string][] {
    const pairs: [string, string][] = [];
    for (const entry of this.#values) pairs.push(entry);
    if (this.#cookies !== undefined) for (const cookie of this.#cookies) pairs.push([SET_COOKIE, cookie]);
    // Names are distinct apart from set-cookie, whose values keep their order (the sort is stable).
    return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
