import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import { DEFAULT_CONSOLE_DIR } from "../../src/server/consoleAssets.js";
import { startTestNode, type TestNode } from "../support/node.js";

// How the easytask server serves the built console (dist/console).

let node: TestNode;
before(async () => {
  node = await startTestNode("sqlite");
});
after(() => node.stop());

// Raw requests: fetch would normalise "..", which is what is being tested.
function get(path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: node.port, path, method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: raw.toString("utf8"), raw });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const assetNames = () => readdirSync(new URL("assets/", `file://${DEFAULT_CONSOLE_DIR}`));

test("/ and /console redirect to /console/, which is index.html, revalidated on every load", async () => {
  for (const path of ["/", "/console"]) {
    const res = await get(path);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, "/console/");
  }
  const index = await get("/console/");
  assert.equal(index.status, 200);
  assert.equal(index.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(index.headers["cache-control"], "no-cache");
  assert.match(index.body, /<div id="app">/);
  const again = await get("/console/", { headers: { "if-none-match": String(index.headers.etag) } });
  assert.equal(again.status, 304);
  assert.equal(again.body, "");
});

test("text assets are sent gzipped to clients that accept it, with their own ETag", async () => {
  const js = assetNames().find((n) => n.endsWith(".js"))!;
  const plain = await get(`/console/assets/${js}`);
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.equal(plain.headers.vary, "accept-encoding");
  const zipped = await get(`/console/assets/${js}`, { headers: { "accept-encoding": "gzip, deflate, br, zstd" } });
  assert.equal(zipped.headers["content-encoding"], "gzip");
  assert.equal(zipped.headers.vary, "accept-encoding");
  assert.ok(zipped.raw.length < plain.raw.length / 2, `${zipped.raw.length} of ${plain.raw.length} bytes`);
  assert.deepEqual(gunzipSync(zipped.raw), plain.raw);
  assert.notEqual(zipped.headers.etag, plain.headers.etag);
  const again = await get(`/console/assets/${js}`, { headers: { "accept-encoding": "gzip", "if-none-match": String(zipped.headers.etag) } });
  assert.equal(again.status, 304);
  const refused = await get(`/console/assets/${js}`, { headers: { "accept-encoding": "gzip;q=0, br" } });
  assert.equal(refused.headers["content-encoding"], undefined);
});

test("hashed assets are cached for a year with their content types; HEAD has no body", async () => {
  const index = (await get("/console/")).body;
  const js = assetNames().find((n) => n.endsWith(".js"))!;
  const css = assetNames().find((n) => n.endsWith(".css"))!;
  assert.ok(index.includes(`/console/assets/${js}`), "index.html names the script");
  const script = await get(`/console/assets/${js}`);
  assert.equal(script.status, 200);
  assert.equal(script.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(script.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(script.headers["x-content-type-options"], "nosniff");
  assert.equal((await get(`/console/assets/${css}`)).headers["content-type"], "text/css; charset=utf-8");
  const head = await get(`/console/assets/${js}`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], String(Buffer.byteLength(script.body)));
  assert.equal(head.body, "");
});

test("no path outside the built console is served, however it is spelled", async () => {
  for (const path of [
    "/console/../package.json",
    "/console/%2e%2e/package.json",
    "/console/assets/../../src/main.js",
    "/console/assets/..%2f..%2fsrc%2fmain.js",
    "/console/..%5c..%5cpackage.json",
    "/console//etc/passwd",
    "/console/%00",
    "/console/assets/",
    "/console/index.html/../../../package.json",
    "/console/nothing-here.js",
  ]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body, "not found\n", path);
  }
});

test("only GET and HEAD; the API and health paths still answer as before", async () => {
  const post = await get("/console/", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, "GET, HEAD");
  assert.equal((await get("/healthz")).status, 200);
  assert.equal((await get("/elsewhere")).status, 404);
});
