/**
 * Runs an assignment's public check cases (checks.ts) as Jest tests against a sandboxed
 * submission: the same cases the check cells run inside the notebook, with the same verdicts.
 */
import { CallResult, PublicCase } from "@course-kit/kernel-helpers/checks";
import { assertVerdict, call, exercise, graded, LearnerThrew } from "../testing";

export function registerPublicChecks(cases: PublicCase[]): void {
  const groups = new Map<string, PublicCase[]>();
  for (const c of cases) groups.set(c.exercise, [...(groups.get(c.exercise) ?? []), c]);
  for (const [name, list] of groups) {
    exercise(name, () => {
      for (const c of list) {
        graded(c.name, 0, async () => {
          let result: CallResult;
          try {
            result = { returned: await call(name, ...c.args) };
          } catch (err) {
            if (!(err instanceof LearnerThrew)) throw err;
            result = { threw: err.thrown };
          }
          assertVerdict(result, c.expect);
        });
      }
    });
  }
}
