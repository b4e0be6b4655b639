import type { HttpRequest } from "./http.js";

export class BodyTooLarge extends Error {}

// Reads the whole request body, refusing it as soon as it passes the limit
// so a huge upload costs no more than `limit` bytes of memory.
export async function readBody(req: HttpRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new BodyTooLarge(`request body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit, the rest is left unread (not destroyed) for
  // settleUnreadBodies to discard, keeping the connection.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(`request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
