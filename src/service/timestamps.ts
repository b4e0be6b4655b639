import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";

// Nullable epoch-ms columns become unset Timestamp fields.
export const optionalTimestamp = (ms: number | null): Timestamp | undefined => (ms === null ? undefined : timestampFromMs(ms));
