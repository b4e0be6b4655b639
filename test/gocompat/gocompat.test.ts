import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { findExecutable, runCommand } from "../harness/processes.js";
import { freshStore, stopSharedMariaDb } from "../support/node.js";
import { startNodeProcess } from "../support/processNode.js";

// The Go module sits next to this file's source; the compiled test runs from dist/.
const GO_MODULE = fileURLToPath(new URL("../../../test/gocompat", import.meta.url));
const GO_TEST_TIMEOUT_MS = 300_000;
const dir = mkdtempSync(join(tmpdir(), "easytask-gocompat-"));

after(async () => {
  await stopSharedMariaDb();
  rmSync(dir, { recursive: true, force: true });
});

describe("a Go program written for the original easytask", () => {
  for (const numbering of ["documented", "easytask-go"] as const) {
    test(`works unchanged against an easytask process on MariaDB, callback_cmd_numbering ${numbering}`, async () => {
      const go = findExecutable(["go"], "install Go (Debian: apt-get install golang-go)");
      const { store } = await freshStore("mysql");
      assert.equal(store.kind, "mysql");
      if (store.kind !== "mysql") return;
      const conf = join(dir, `${numbering}.json`);
      writeFileSync(
        conf,
        JSON.stringify({
          mysql: { dsn: store.url },
          api_server: { http: { host: "127.0.0.1", port: 0 } },
          callback_cmd_numbering: numbering,
          // So the Go task server sees heartbeats while the test runs.
          health_check_interval_sec: 0.5,
        }),
      );
      const node = await startNodeProcess(["-c", conf]);
      try {
        // A failure throws with the tail of go's output.
        const output = await runCommand(
          {
            name: "go test",
            command: go,
            args: ["test", "-count=1", "-v", "-timeout=120s", "./..."],
            cwd: GO_MODULE,
            env: {
              EASYTASK_URL: `http://127.0.0.1:${node.port}`,
              EASYTASK_NUMBERING: numbering,
              // Standard library only: nothing may be downloaded, not even a toolchain.
              GOPROXY: "off",
              GOTOOLCHAIN: "local",
              GOFLAGS: "",
            },
          },
          GO_TEST_TIMEOUT_MS,
        );
        assert.match(output, /^--- PASS: TestDropIn/m, output);
      } finally {
        assert.equal((await node.stop()).code, 0);
      }
    });
  }
});
