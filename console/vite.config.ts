import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Built by `npm run build` into dist/console, which the easytask server
// serves at /console/ (src/server/consoleAssets.ts).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  logLevel: "warn",
  // Preact's JSX through Vite's own transform: no framework plugin needed.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 400,
  },
});
