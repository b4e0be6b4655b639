import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpRequest, HttpResponse } from "./http.js";

// The web console: the files `npm run build` writes to dist/console (the
// front end in console/), served at /console/. Every file is read once at
// start and looked up by its exact path, so no request path ever reaches the
// file system: "..", encoded or not, simply matches nothing.

export const CONSOLE_PATH = "/console/";
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

// Vite names built assets after a hash of their content, so a name never
// changes meaning and browsers may keep them; index.html names the current
// ones, so it is revalidated on every load.
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

interface Representation {
  body: Buffer;
  etag: string;
}

interface Asset {
  identity: Representation;
  // Compressed once at start: the script is most of the console's weight
  // and shrinks to under a third.
  gzip?: Representation;
  type: string;
  cacheControl: string;
}

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;

export type ConsoleAssets = Map<string, Asset>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

// The built console, keyed by URL path; empty when it was not built.
export function loadConsoleAssets(dir = DEFAULT_CONSOLE_DIR): ConsoleAssets {
  const assets: ConsoleAssets = new Map();
  if (!existsSync(dir)) return assets;
  for (const file of filesUnder(dir)) {
    const urlPath = CONSOLE_PATH + relative(dir, file).split(sep).join("/");
    const body = readFileSync(file);
    const hashed = urlPath.startsWith(`${CONSOLE_PATH}assets/`);
    const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
    const tag = createHash("sha256").update(body).digest("base64url").slice(0, 22);
    const gzip = COMPRESSIBLE.test(type) ? gzipSync(body, { level: 9 }) : undefined;
    assets.set(urlPath === `${CONSOLE_PATH}index.html` ? CONSOLE_PATH : urlPath, {
      identity: { body, etag: `"${tag}"` },
      ...(gzip && gzip.length < body.length && { gzip: { body: gzip, etag: `"${tag}-gzip"` } }),
      type,
      cacheControl: hashed ? IMMUTABLE : REVALIDATE,
    });
  }
  return assets;
}

// "gzip" listed without q=0 (browsers send "gzip, deflate, br, zstd").
function acceptsGzip(header: string | undefined): boolean {
  const gzip = (header ?? "").split(",").map((p) => p.trim().split(";")).find(([coding]) => coding!.trim().toLowerCase() === "gzip");
  return gzip !== undefined && !gzip.slice(1).some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(param));
}

function redirect(res: HttpResponse, to: string): void {
  res.writeHead(302, { location: to, "content-type": "text/plain" });
  res.end(`see ${to}\n`);
}

// Answers `/` and `/console...`; returns false for any other path.
export function serveConsole(assets: ConsoleAssets, path: string, req: HttpRequest, res: HttpResponse): boolean {
  if (path === "/" || path === "/console") {
    redirect(res, CONSOLE_PATH);
    return true;
  }
  if (!path.startsWith(CONSOLE_PATH)) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    res.end("method not allowed\n");
    return true;
  }
  const asset = assets.get(path);
  if (!asset) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end(assets.size === 0 ? "the console is not built: run npm run build\n" : "not found\n");
    return true;
  }
  const gzip = asset.gzip && acceptsGzip(req.headers["accept-encoding"]) ? asset.gzip : undefined;
  const chosen = gzip ?? asset.identity;
  const headers = {
    "content-type": asset.type,
    "cache-control": asset.cacheControl,
    etag: chosen.etag,
    "x-content-type-options": "nosniff",
    ...(asset.gzip && { vary: "accept-encoding" }),
    ...(gzip && { "content-encoding": "gzip" }),
  };
  if (req.headers["if-none-match"] === chosen.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, "content-length": String(chosen.body.length) });
  if (req.method === "HEAD") res.end();
  else res.end(chosen.body);
  return true;
}
