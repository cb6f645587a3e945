/**
 * The language the notebook helpers speak (check tables, the note of a demo cell while an
 * exercise is a stub, the backend line). An assignment declares its language once, in
 * `assignment.json` beside its notebooks ({"language": "ko"}); the release carries that file,
 * and Jupyter starts a notebook's kernel in the notebook's folder, the same folder the setup cell
 * imports `./checks` from. So the helpers read it from the kernel's working directory, unless a
 * cell chose a language with setLanguage(). Without either, they speak English.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isLanguage, Language, LANGUAGES } from "./messages";

/** The small file in an assignment folder that holds its settings, such as its language. */
export const ASSIGNMENT_FILE = "assignment.json";

let chosen: Language | undefined;

/** Speak `lang` in this kernel from now on, whatever the assignment says; no argument goes back to the assignment's. */
export function setLanguage(lang?: Language): void {
  if (lang !== undefined && !isLanguage(lang)) throw new RangeError(`setLanguage: expected one of ${LANGUAGES.join(", ")}, got ${JSON.stringify(lang)}`);
  chosen = lang;
}

/**
 * The language `assignment.json` in `dir` declares, if it is there and names a language the kit
 * speaks. Lenient: the grader reports a broken file to the instructor; a notebook just falls back.
 */
export function assignmentLanguage(dir: string): Language | undefined {
  try {
    const language = (JSON.parse(readFileSync(path.join(dir, ASSIGNMENT_FILE), "utf8")) as { language?: unknown } | null)?.language;
    return isLanguage(language) ? language : undefined;
  } catch {
    return undefined;
  }
}

/** The language of this notebook's messages: setLanguage(), else the assignment's, else English. */
export function notebookLanguage(): Language {
  return chosen ?? assignmentLanguage(process.cwd()) ?? "en";
}
