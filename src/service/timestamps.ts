import { timestampFromMs, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";

// Nullable epoch-ms columns become unset Timestamp fields.
export const optionalTimestamp = (ms: number | null): Timestamp | undefined => (ms === null ? undefined : timestampFromMs(ms));

// And unset Timestamp fields of a request mean "no bound".
export const optionalMs = (t: Timestamp | undefined): number | undefined => (t === undefined ? undefined : timestampMs(t));
