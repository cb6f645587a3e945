/**
 * The modules learner code may import while it is graded: the dependency-free part of the
 * course helpers (tensor utilities and seeded random numbers). The reference kernels and
 * TensorFlow.js are deliberately not offered: an exercise must be the learner's own code, and
 * importing them gives a stub that explains this when used.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SandboxModule } from "./context";

const HELPERS_PACKAGE = "@course-kit/kernel-helpers";

/** Files of kernel-helpers/dist offered to learner code, and the names they answer to. */
const OFFERED: { file: string; names: string[] }[] = [
  { file: "tensor.js", names: ["./tensor"] },
  { file: "random.js", names: ["./random"] },
  // The message catalogue tensor.js words its messages with (data and a formatter, nothing else).
  { file: "messages/index.js", names: ["./messages"] },
  { file: "messages/en.js", names: ["./en"] },
  { file: "messages/ko.js", names: ["./ko"] },
];
/** The modules the package's index offers (the catalogue is only tensor.js's). */
const INDEX = ["./tensor", "./random"];

function helpersDist(): string {
  return path.dirname(require.resolve(HELPERS_PACKAGE));
}

export function offeredModules(): SandboxModule[] {
  const dist = helpersDist();
  const modules: SandboxModule[] = OFFERED.map(({ file, names }) => ({
    names,
    filename: `${HELPERS_PACKAGE}/${file}`,
    source: readFileSync(path.join(dist, file), "utf8"),
  }));
  modules.push({
    names: [HELPERS_PACKAGE, "kernel-helpers"],
    filename: `${HELPERS_PACKAGE}/index.js`,
    source: `module.exports = Object.assign({}, ${INDEX.map((name) => `require(${JSON.stringify(name)})`).join(", ")});`,
  });
  return modules;
}

/** Write the offered modules as JSON files into `dir` (shared by a batch); returns their paths. */
export function writeOfferedModules(dir: string): string[] {
  return offeredModules().map((mod, i) => {
    const file = path.join(dir, `module-${i}.json`);
    writeFileSync(file, JSON.stringify(mod));
    return file;
  });
}
