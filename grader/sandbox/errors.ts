/**
 * Describe something learner code threw, without trusting it: only data properties with string
 * values are read (no getters run, no toString called), and the location is reported in the
 * learner's own terms (cell and line of their TypeScript), found through the cell source maps.
 */
import { SourceMap, SourceMapPayload } from "node:module";
import { types } from "node:util";
import { LearnerCell, RealmTexts, Thrown, ThrowSite } from "./protocol";

const { getPrototypeOf, getOwnPropertyDescriptor } = Object;

function dataString(obj: object, key: string): string | undefined {
  for (let o: object | null = obj, depth = 0; o && depth < 8; o = getPrototypeOf(o) as object | null, depth++) {
    if (types.isProxy(o)) return undefined;
    const d = getOwnPropertyDescriptor(o, key);
    if (d) return "value" in d && typeof d.value === "string" ? d.value : undefined;
  }
  return undefined;
}

const FRAME = /cell-(\d+)\.js:(\d+):(\d+)/;
const sourceMaps = new Map<string, SourceMap>();

function locate(stack: string | undefined, cells: LearnerCell[], maps: Map<string, string>): ThrowSite | undefined {
  const m = stack ? FRAME.exec(stack) : null;
  if (!m) return undefined;
  const index = Number(m[1]);
  const cell = cells[index];
  if (!cell) return undefined;
  let line = Number(m[2]);
  const filename = `cell-${index}.js`;
  const raw = maps.get(filename);
  if (raw) {
    try {
      let map = sourceMaps.get(filename);
      if (!map) sourceMaps.set(filename, (map = new SourceMap(JSON.parse(raw) as SourceMapPayload)));
      const entry = map.findEntry(line - 1, Number(m[3]) - 1) as { originalLine?: number };
      if (typeof entry.originalLine === "number") line = entry.originalLine + 1;
    } catch {
      /* keep the generated line */
    }
  }
  return { cell: cell.label, line };
}

/** `texts` names what is not an Error, in the learner's language. */
export function describeThrown(err: unknown, cells: LearnerCell[], maps: Map<string, string>, texts: RealmTexts): Thrown {
  if (err === null || (typeof err !== "object" && typeof err !== "function")) {
    return { name: texts.thrownValue, message: typeof err === "string" ? err : String(err) };
  }
  if (types.isProxy(err)) return { name: texts.thrownValue, message: texts.proxyThrown };
  const name = dataString(err, "name") ?? "Error";
  const message = dataString(err, "message") ?? "";
  const stackDesc = getOwnPropertyDescriptor(err, "stack");
  const stack = stackDesc && "value" in stackDesc && typeof stackDesc.value === "string" ? stackDesc.value : undefined;
  return { name: name.slice(0, 100), message: message.slice(0, 2000), where: locate(stack, cells, maps) };
}
