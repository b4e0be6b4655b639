import assert from "node:assert/strict";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readmeExamples, readmeShellBlocks, ROOT, run, startEasytask, transcript } from "./support.js";

// clients/ts as a user gets it: its README's install lines, run as written
// in an app next to a clone (a copy of the package's files, outside this
// repository, so nothing of the root's node_modules helps), then its
// examples type-checked and run against a server that requires a token and
// was started from the same environment as the examples.
const README = "clients/ts/README.md";
const TOKEN = "sdk-test-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "easytask-ts-package-"));
const clone = join(dir, "easytask/clients/ts");
// A user's shell, not the npm of `npm test`; the registry only for what the cache lacks.
const userEnv = {
  ...Object.fromEntries(Object.keys(process.env).filter((k) => /^npm_/i.test(k)).map((k) => [k, undefined])),
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
};

before(() => {
  const source = join(ROOT, "clients/ts");
  cpSync(source, clone, { recursive: true, filter: (path) => !/[/\\](node_modules|dist)$|\.tgz$/.test(path) });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function app(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  writeFileSync(join(path, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  return path;
}

async function sh(lines: string[], cwd: string): Promise<void> {
  for (const line of lines) {
    const ran = await run("sh", ["-c", line], { cwd, env: userEnv });
    assert.equal(ran.code, 0, transcript(line, ran));
  }
}

// Each example against a fresh server (so its ids are the README's), from one environment.
async function runExample(cwd: string, script: string, prints: string): Promise<void> {
  const easytask = await startEasytask({ EASYTASK_URL: "http://127.0.0.1:1", EASYTASK_TOKEN: TOKEN, EASYTASK_AUTH__TOKENS: TOKEN });
  try {
    const ran = await run(process.execPath, [script], { cwd, env: { EASYTASK_URL: easytask.url, EASYTASK_TOKEN: TOKEN } });
    assert.equal(ran.code, 0, transcript(script, ran));
    assert.equal(ran.stdout, prints, transcript(script, ran));
  } finally {
    await easytask.stop();
  }
}

const [folderInstall, tarballInstall] = readmeShellBlocks(README, "Install");
const examples = readmeExamples(README, "ts");

test("installed from the folder, the package is built and its examples type-check (strict) and run", async () => {
  const folderApp = app("app");
  await sh(folderInstall, folderApp);
  const installed = join(folderApp, "node_modules/@easytask/client");
  assert.ok(existsSync(join(installed, "dist/index.js")) && existsSync(join(installed, "dist/index.d.ts")), "dist/ is built");
  // The app has no dependency of its own on Connect: as under pnpm, it cannot import it.
  assert.ok(!existsSync(join(folderApp, "node_modules/@connectrpc")), "Connect is not hoisted into the app");

  mkdirSync(join(folderApp, "src"));
  examples.forEach(({ code }, i) => writeFileSync(join(folderApp, `src/example${i + 1}.ts`), code));
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      outDir: "dist",
      rootDir: "src",
      typeRoots: [join(ROOT, "node_modules/@types")],
      types: ["node"],
    },
    include: ["src"],
  };
  writeFileSync(join(folderApp, "tsconfig.json"), JSON.stringify(tsconfig));
  const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: folderApp });
  assert.equal(tsc.code, 0, transcript("tsc on the README examples", tsc));
  for (const [i, { prints }] of examples.entries()) await runExample(folderApp, `dist/example${i + 1}.js`, prints);
});

test("the package packs on its own, and installs from the tarball", async () => {
  // The folder install above ran `npm install` there; the README's lines do it again.
  const tarballApp = app("app-tarball");
  await sh(tarballInstall, tarballApp);
  const installed = join(tarballApp, "node_modules/@easytask/client");
  assert.ok(!lstatSync(installed).isSymbolicLink(), "installed as a copy, like a published package");
  assert.deepEqual(readdirSync(installed).sort(), ["README.md", "dist", "package.json"]);
  for (const file of ["index.js", "index.d.ts", "taskServer.d.ts", "gen/easytask/v1/task_pb.js", "gen/easytask/v1/cluster_pb.d.ts"]) {
    assert.ok(existsSync(join(installed, "dist", file)), `dist/${file} is in the package`);
  }
  writeFileSync(join(tarballApp, "example.js"), await stripTypes(examples[0].code));
  await runExample(tarballApp, "example.js", examples[0].prints);
});

// The first example is TypeScript; its JavaScript, as tsc writes it.
async function stripTypes(code: string): Promise<string> {
  const ts = (await import("typescript")).default;
  return ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
}
