// Typed configuration from environment variables, in two steps (as atproto's bsync does):
// main.ts reads the environment once into a frozen config; tests build configs directly.
// Every failure names the variable and says what was expected.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  /** The variables that were wrong. */
  readonly variables: readonly string[];

  constructor(problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.variables = problems.map((p) => p.variable);
  }
}

/** Reads typed values from an environment, collecting every problem before failing. */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: Array<{ variable: string; message: string }> = [];

  constructor(env: Env) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  #fail(name: string, message: string): void {
    this.#problems.push({ variable: name, message });
  }

  /** The first of `names` that is set, or the default. */
  string(names: string | readonly string[], fallback: string): string;
  string(names: string | readonly string[]): string | undefined;
  string(names: string | readonly string[], fallback?: string): string | undefined {
    for (const name of typeof names === "string" ? [names] : names) {
      const value = this.#raw(name);
      if (value !== undefined) return value;
    }
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.#fail(name, `expected a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    this.#fail(name, `expected true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.#fail(name, `expected one of ${allowed.join(", ")}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }

  /** A host:port address; the default is used when unset. */
  address(name: string, fallback: string): string {
    const raw = this.#raw(name) ?? fallback;
    if (!/^(dns:\/\/\/)?[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(raw)) {
      this.#fail(name, `expected host:port, got "${raw}"`);
    }
    return raw;
  }

  /** Records a problem found by a check of several variables (e.g. two that exclude each other). */
  fail(name: string, message: string): void {
    this.#fail(name, message);
  }

  /** Throws one error naming every bad variable. */
  done(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}
