import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, run, transcript } from "./support.js";

// clients/go's own tests (go test) start `node bin/easytask.js` themselves,
// so they need the build that `npm test` has just made.
const dir = join(ROOT, "clients/go");

test("the Go SDK is gofmt-formatted and go vet clean", async () => {
  const fmt = await run("gofmt", ["-l", "."], { cwd: dir });
  assert.equal(fmt.code, 0, transcript("gofmt -l", fmt));
  assert.equal(fmt.stdout, "", `files gofmt would change:\n${fmt.stdout}`);
  const vet = await run("go", ["vet", "./..."], { cwd: dir });
  assert.equal(vet.code, 0, transcript("go vet ./...", vet));
});

test("the Go SDK's tests pass (go test ./...)", async (t) => {
  // -count=1: the tests drive a server outside Go's view, so a cached pass
  // would say nothing about the server as built now.
  const ran = await run("go", ["test", "-count=1", "./..."], { cwd: dir });
  assert.equal(ran.code, 0, transcript("go test ./...", ran));
  assert.match(ran.stdout, /^ok\s+github\.com\/easytask\/easytask\/clients\/go\/easytask\s/m);
  for (const line of ran.stdout.trim().split("\n")) t.diagnostic(line.replaceAll("\t", " "));
});
