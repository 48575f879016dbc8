// Request validation that reports every bad field at once, as google.rpc.BadRequest.
import { invalidArgument, type FieldViolation } from "./errors.js";
import { isUuid } from "./ids.js";

// Control characters are never valid in names and text fields (PostgreSQL rejects NUL).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// A pragmatic address check: one @, no spaces, a dot in the domain.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9_\-.:]{1,100}$/;

export class Violations {
  readonly #list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.#list.push({ field, description });
  }

  get count(): number {
    return this.#list.length;
  }

  /** Throws INVALID_ARGUMENT listing every violation, when there are any. */
  throwIfAny(): void {
    if (this.#list.length > 0) throw invalidArgument(this.#list);
  }

  /** Trimmed text of minLength to maxLength characters; returns the trimmed value. */
  text(field: string, value: string, minLength: number, maxLength: number): string {
    const trimmed = value.trim();
    const length = [...trimmed].length;
    if (length < minLength) {
      this.add(field, minLength === 1 ? "must not be empty" : `must have at least ${minLength} characters`);
    } else if (length > maxLength) {
      this.add(field, `must have at most ${maxLength} characters`);
    } else if (CONTROL_CHARACTERS.test(trimmed)) {
      this.add(field, "must not contain control characters");
    }
    return trimmed;
  }

  /** An id: a canonical UUID. */
  id(field: string, value: string): void {
    if (value === "") this.add(field, "is required");
    else if (!isUuid(value)) this.add(field, "must be a UUID such as 0190a5d2-8c3e-7b1a-9f2e-3c4d5e6f7a8b");
  }

  /** An optional id: empty, or a canonical UUID. */
  optionalId(field: string, value: string): void {
    if (value !== "") this.id(field, value);
  }

  email(field: string, value: string): string {
    const trimmed = value.trim().toLowerCase();
    if (trimmed === "") this.add(field, "is required");
    else if (trimmed.length > 254 || !EMAIL_PATTERN.test(trimmed)) this.add(field, "must be an email address like name@example.com");
    return trimmed;
  }

  range(field: string, value: number | bigint, min: number | bigint, max: number | bigint): void {
    if (value < min || value > max) this.add(field, `must be between ${min} and ${max}`);
  }

  /** An optional idempotency key. */
  requestId(field: string, value: string): void {
    if (value !== "" && !REQUEST_ID_PATTERN.test(value)) {
      this.add(field, "must be 1-100 characters of A-Z a-z 0-9 _ - . :");
    }
  }
}
