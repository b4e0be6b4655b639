import { ListTasksRequestSchema } from "../../gen/easytask/v1/task_pb.js";
import { invalidArgument } from "./errors.js";
import { limitOf } from "./limits.js";

// Field checks shared by the use cases; each failure names the field, as the
// original's messages do, so a user can tell which part of a request to fix.

export function required(field: string, value: string): string {
  if (value.trim() === "") throw invalidArgument(field, `${field} is required`);
  return value;
}

export function maxLength(field: string, value: string, max: number): string {
  if (value.length > max) throw invalidArgument(field, `${field} is longer than ${max} characters`);
  return value;
}

// Bytes, not characters: this is what the database column and the callback body hold.
export function maxBytes(field: string, value: string, max: number): string {
  if (Buffer.byteLength(value, "utf8") > max) throw invalidArgument(field, `${field} is larger than ${max} bytes`);
  return value;
}

// Names show up in logs, metrics labels and the console; a control character
// there could forge log lines or hide text.
export function printable(field: string, value: string): string {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) throw invalidArgument(field, `${field} must not contain control characters`);
  return value;
}

export function requiredId(field: string, value: bigint): number {
  if (value <= 0n) throw invalidArgument(field, `${field} is required`);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(field, `${field} ${value} is out of range`);
  return Number(value);
}

// Both list requests declare the same bound.
const MAX_PAGE_SIZE = limitOf(ListTasksRequestSchema, "page_size", "maxValue");

export function pageSize(value: number): number {
  if (value > MAX_PAGE_SIZE) throw invalidArgument("page_size", `page_size must be at most ${MAX_PAGE_SIZE}`);
  return value === 0 ? 100 : value;
}

// Page tokens are the id to continue after (or before), kept opaque to clients.
export function pageToken(value: string, fallback: number): number {
  if (value === "") return fallback;
  if (!/^\d{1,15}$/.test(value)) throw invalidArgument("page_token", "page_token is not a token this server returned");
  return Number(value);
}
