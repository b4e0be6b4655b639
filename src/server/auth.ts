import { createHash, timingSafeEqual } from "node:crypto";

// auth.tokens: with tokens configured, every API call must carry
// `Authorization: Bearer <token>` naming one of them.

export type Authorize = (authorization: string | null | undefined) => boolean;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

// Compares digests, not the tokens: timingSafeEqual needs equal lengths, and
// comparing lengths first would tell a caller how long the tokens are. Every
// configured token is compared on every call, so the time taken does not
// depend on which one matched either.
export function bearerTokens(tokens: readonly string[]): Authorize {
  if (tokens.length === 0) return () => true;
  const expected = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
    const given = digest(match?.[1] ?? "");
    let ok = false;
    for (const token of expected) ok = timingSafeEqual(token, given) || ok;
    return ok && match !== null;
  };
}

export const UNAUTHENTICATED_MESSAGE = "missing or wrong API token: send Authorization: Bearer <token>";
