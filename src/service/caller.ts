import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { Role } from "../config/config.js";

// Who is calling: the API token's name and role, found by the server from
// the request's header and handed to the use cases with the request.
export interface Principal {
  name: string;
  role: Role;
}

// The caller when the API is open (no tokens configured).
export const ANONYMOUS: Principal = { name: "anonymous", role: "admin" };

const CALLER = createContextKey<Principal | undefined>(undefined, { description: "the caller" });

export const callerValues = (principal: Principal | undefined): ContextValues => createContextValues().set(CALLER, principal);

// Undefined when the request names no valid token.
export const callerOf = (values: ContextValues): Principal | undefined => values.get(CALLER);

export const callerOfContext = (ctx: HandlerContext): Principal => callerOf(ctx.values) ?? ANONYMOUS;
