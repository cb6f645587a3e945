/**
 * Writes the bundled sample submissions of an assignment (default week 7) that the quick start
 * grades: a full solution, a partial one and a broken one.
 *   node dist/bench/make-samples.js [assignment-dir] [out-dir]
 */
import path from "node:path";
import { rmSync } from "node:fs";
import { loadAssignment } from "../grader/assignment/load";
import { makeSubmission, SubmissionKind, writeSubmission } from "./submissions";

export async function makeSamples(assignmentDir: string, outDir: string): Promise<string[]> {
  const assignment = loadAssignment(assignmentDir);
  const kinds: SubmissionKind[] = ["full", "partial", "broken"];
  rmSync(outDir, { recursive: true, force: true });
  return Promise.all(kinds.map((kind) => writeSubmission(makeSubmission(assignment, kind), path.join(outDir, kind))));
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..", "..");
  const assignmentDir = process.argv[2] ?? path.join(root, "notebooks", "week07-cnn");
  const outDir = process.argv[3] ?? path.join(root, "samples", path.basename(assignmentDir));
  makeSamples(assignmentDir, outDir).then(
    (dirs) => console.log(`Wrote ${dirs.map((d) => path.relative(process.cwd(), d)).join(", ")}`),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
