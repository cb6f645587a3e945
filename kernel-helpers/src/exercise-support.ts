/**
 * What a notebook's exercise cells use around the learner's code: the check cell's pass/fail
 * table, and a guard that lets demo cells run in a fresh release where the exercises are still
 * stubs (a stub throws "<name>: not implemented yet").
 */
import { PublicCase, runCases } from "./checks";
import { displayBundle } from "./display/bundle";
import { tableHtml, tableText } from "./display/html";
import { notebookLanguage } from "./language";
import { Language, message } from "./messages";

const NOT_IMPLEMENTED = /: not implemented yet$/;

export function isNotImplemented(err: unknown): boolean {
  return err instanceof Error && NOT_IMPLEMENTED.test(err.message);
}

/**
 * Run the public cases of `exercise` on `fn` and show a pass/fail table, in the notebook's
 * language (see language.ts) unless `lang` is given. Never throws, so a check cell does not stop
 * a notebook. Returns nothing, so that the kernel prints only the table.
 */
export function showChecks(exercise: string, fn: (...args: never[]) => unknown, cases: PublicCase[], lang: Language = notebookLanguage()): void {
  const mine = cases.filter((c) => c.exercise === exercise);
  const outcomes = runCases(mine, fn, lang);
  const passed = outcomes.filter((o) => o.ok).length;
  const rows = outcomes.map((o) => [message(lang, o.ok ? "checks.pass" : "checks.fail"), o.name, o.message]);
  const caption = message(lang, "checks.caption", { exercise, passed, total: outcomes.length });
  const options = { header: ["", message(lang, "checks.case"), message(lang, "checks.message")], caption };
  displayBundle({ "text/html": tableHtml(rows, options), "text/plain": tableText(rows, options) });
}

/**
 * Run a demo that uses learner functions. If one of them is still a stub, print a short note
 * instead of failing, so the notebook runs top to bottom; any other error is rethrown.
 */
export function whenImplemented<T>(demo: () => T): T | undefined {
  try {
    return demo();
  } catch (err) {
    if (!isNotImplemented(err)) throw err;
    process.stdout.write(`${message(notebookLanguage(), "notebook.skipped", { error: (err as Error).message })}\n`);
    return undefined;
  }
}
