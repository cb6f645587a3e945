/**
 * The grader's own bookkeeping inside a results folder, kept apart from what learners may be
 * shown: `<out>/.tsnb/` holds the run lock and, per graded submission, the record that
 * `--resume` reads (see resume.ts).
 */
export const STATE_DIR = ".tsnb";
