import { createHash, timingSafeEqual } from "node:crypto";
import { ConnectError } from "@connectrpc/connect";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { create, type DescMethod } from "@bufbuild/protobuf";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import type { ApiToken } from "../config/config.js";
import { ANONYMOUS, type Principal } from "../service/caller.js";
import { REASON_CODES } from "./errorCodes.js";

// auth.tokens: with tokens configured, every API call must carry
// `Authorization: Bearer <token>` naming one of them. A token's role says
// what it may do: admin everything, viewer only the methods the proto marks
// NO_SIDE_EFFECTS.

// The principal the header's token names, or nothing.
export type Authorize = (authorization: string | null | undefined) => Principal | undefined;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

// Compares digests, not the tokens: timingSafeEqual needs equal lengths, and
// comparing lengths first would tell a caller how long the tokens are. Every
// configured token is compared on every call, so the time taken does not
// depend on which one matched either.
export function bearerTokens(tokens: readonly ApiToken[]): Authorize {
  if (tokens.length === 0) return () => ANONYMOUS;
  const expected = tokens.map((t) => ({ digest: digest(t.token), principal: { name: t.name, role: t.role } }));
  return (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
    const given = digest(match?.[1] ?? "");
    let found: Principal | undefined;
    // The first entry with the token names it; every entry is compared.
    for (const t of expected) if (timingSafeEqual(t.digest, given)) found ??= t.principal;
    return match === null ? undefined : found;
  };
}

export const UNAUTHENTICATED_MESSAGE = "missing or wrong API token: send Authorization: Bearer <token>";

// Whether a method changes anything: every method not marked
// NO_SIDE_EFFECTS in the proto.
export const changesData = (method: DescMethod) => method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;

// Why a principal may not call a method, or undefined when it may.
export function refusal(principal: Principal, method: DescMethod): ConnectError | undefined {
  if (principal.role === "admin" || !changesData(method)) return undefined;
  const reason = ErrorReason.READ_ONLY_TOKEN;
  return new ConnectError(`the API token "${principal.name}" is read-only (role viewer): ${method.name} changes data`, REASON_CODES.get(reason)!.connect, undefined, [
    { desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { reason }) },
  ]);
}
