/**
 * The timings in what `tsnb grade` writes: the only fields that may differ between two gradings
 * of the same submissions (see docs/determinism.md). `--no-timings` leaves them out, and the
 * output folder is then the same, byte for byte, from run to run.
 * - `<submission>/results.json`: `execution_time` (Gradescope's field: the submission's share of
 *   its group's Jest run, in seconds);
 * - `.tsnb/graded/<submission>.json`: `grade.seconds` (the same) and `grade.tests[].durationMs`;
 * - `grader-log.txt`: the time stamp on its first line (when the run started).
 */
import type { SubmissionGrade } from "../grading/batch";

/** The grade as written without timings. */
export function withoutTimings(grade: SubmissionGrade): SubmissionGrade {
  const { seconds, tests, ...rest } = grade;
  void seconds;
  return {
    ...rest,
    tests: tests.map(({ durationMs, ...test }) => {
      void durationMs;
      return test;
    }),
  };
}
