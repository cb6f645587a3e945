/**
 * Jest transformer for hidden tests and public checks written in TypeScript: esbuild strips
 * the types (no type check; `npm run typecheck` covers them). Jest caches the output by
 * content, so a batch compiles each test file once.
 */
import { createHash } from "node:crypto";
import { transformSync } from "esbuild";

const VERSION = "tsnb-esbuild-1";

export = {
  canInstrument: false,
  getCacheKey(source: string, filename: string): string {
    return createHash("sha1").update(VERSION).update("\0").update(filename).update("\0").update(source).digest("hex");
  },
  process(source: string, filename: string): { code: string; map?: string } {
    const out = transformSync(source, {
      loader: filename.endsWith(".tsx") ? "tsx" : "ts",
      format: "cjs",
      target: "es2022",
      sourcemap: "external",
      sourcefile: filename,
    });
    return { code: out.code, map: out.map };
  },
};
