// npm runs this ("prepare") wherever it builds the package from this folder:
// `npm install` and `npm pack` here, and `npm install <path of this folder>` in
// an app, which links the folder without installing its dependencies. Then
// they are installed here first (from package-lock.json), so the linked
// package has dist/ and what dist/ imports.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
// Where Node looks for a package imported from here: node_modules here or in a parent folder.
const find = (name, dir = here) =>
  existsSync(join(dir, "node_modules", name, "package.json")) ? join(dir, "node_modules", name) : dirname(dir) === dir ? undefined : find(name, dirname(dir));
const missing = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => find(name) === undefined);
const npm = (...args) => {
  // npm_execpath is the npm that runs this script; the app's npm options
  // (omit=dev, a global prefix …) are not for this folder.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_config_")));
  execFileSync(process.execPath, [process.env.npm_execpath, ...args], { cwd: here, stdio: "inherit", env });
};
if (missing.length > 0) {
  console.error(`@easytask/client: installing ${missing.join(", ")} in ${here} to build dist/`);
  npm("ci", "--ignore-scripts", "--include=dev", "--prefer-offline", "--no-audit", "--no-fund");
}
execFileSync(process.execPath, [join(find("typescript"), "bin", "tsc"), "-p", "tsconfig.json"], { cwd: here, stdio: "inherit" });
