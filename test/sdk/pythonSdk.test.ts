import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { codegenTools, ROOT, run, transcript } from "./support.js";

// clients/python's own tests (pytest, from the venv of .tools/) start
// `node bin/easytask.js` themselves, so they need the build that `npm test`
// has just made.
before(codegenTools);

test("the Python SDK's tests pass (pytest)", async (t) => {
  const ran = await run(join(ROOT, ".tools/venv/bin/pytest"), ["-q", "-p", "no:cacheprovider"], { cwd: join(ROOT, "clients/python") });
  // Any exit but 0 fails, 5 (no tests collected) included.
  assert.equal(ran.code, 0, transcript("pytest", ran));
  const summary = /^(\d+) passed in .*$/m.exec(ran.stdout);
  assert.ok(summary && Number(summary[1]) > 0, transcript("pytest", ran));
  t.diagnostic(`pytest: ${summary[0]}`);
});
