/**
 * What the kernel says about itself in kernel_info_reply. Built without loading the compiler
 * (versions are read from package.json files), so that the first reply comes quickly.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROTOCOL_VERSION } from "../jupyter/wire";
import { tslabTypeScriptVersion } from "./tslab-engine";

export const IMPLEMENTATION = "tsnb-typescript";

function packageVersion(file: string): string {
  try {
    return String((JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? "");
  } catch {
    return "";
  }
}

export function kernelInfo(): Record<string, unknown> {
  const kitVersion = packageVersion(path.resolve(__dirname, "..", "..", "package.json"));
  const tslabVersion = packageVersion(require.resolve("tslab/package.json"));
  const typescript = tslabTypeScriptVersion();
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: IMPLEMENTATION,
    implementation_version: kitVersion,
    language_info: {
      name: "typescript",
      version: typescript,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      // The classic Notebook highlights TypeScript through CodeMirror's javascript mode with
      // the typescript flag; JupyterLab reads `mode`.
      codemirror_mode: { name: "javascript", typescript: true, mode: "typescript" },
    },
    banner:
      `TypeScript ${typescript} on Node.js ${process.versions.node}: the course kit's kernel ` +
      `(tslab ${tslabVersion}'s compiler). Errors show the cell and line they come from.`,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      { text: "Node.js documentation", url: `https://nodejs.org/docs/latest-v${process.versions.node.split(".")[0]}.x/api/` },
    ],
    debugger: false,
  };
}
