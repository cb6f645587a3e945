import path from "node:path";
import { Command } from "commander";
import { isLanguage } from "@course-kit/kernel-helpers/messages";
import { exerciseScore } from "../results/csv";
import { mergeOutputs, MergeResult } from "../results/merge";
import { buildClassReport } from "../report/model";
import { writeClassReport } from "../report/write";
import { MANIFEST_FILE } from "../results/manifest";
import { summaryTable } from "./grade";
import { outputFolder } from "./output-folder";

export function registerMergeCommand(program: Command): void {
  program
    .command("merge")
    .description("Combine the output folders of sharded (or separate) tsnb grade runs into one grades.csv, summary and set of results")
    .argument("<dirs...>", `tsnb grade output folders (each has a ${MANIFEST_FILE})`)
    .requiredOption("--out <dir>", "where to write the merged results")
    .addHelpText(
      "after",
      "\nRefuses folders graded from a different assignment, with other settings or by a different tsnb version, a shard set with a shard missing or twice, an unfinished shard (finish it with --resume) and a submission in two folders.\n" +
        "Example: tsnb merge shards/1 shards/2 shards/3 --out results",
    )
    .action((dirs: string[], opts: { out: string }) => {
      outputFolder(opts.out);
      const merged = mergeOutputs(dirs, opts.out);
      process.stdout.write(summaryTable(merged.grades, merged.exercises));
      writeClassReport(path.resolve(opts.out), mergedReport(merged));
      process.stdout.write(
        `\nMerged ${merged.grades.length} submission(s) from ${dirs.length} folder(s) into ${path.resolve(opts.out)} (grades.csv, <submission>/results.json, <submission>/feedback.html, grader-log.txt, report.html, report.json).\n`,
      );
      const failed = merged.grades.filter((g) => g.graderError);
      if (failed.length) {
        process.stderr.write(`tsnb: ${failed.length} submission(s) had grader errors: ${failed.map((g) => g.name).join(", ")}\n`);
        process.exitCode = 1;
      }
    });
}

/** The class report of the merged grades: the runs' timings are not added up (they overlap or not). */
function mergedReport(merged: MergeResult) {
  const { manifest, grades } = merged;
  const lang = (manifest.settings as { lang?: unknown } | null)?.lang;
  return buildClassReport({
    assignment: {
      name: manifest.assignment.name,
      // Each exercise's points, from the tests' own maximums (the manifest keeps only the total).
      exercises: merged.exercises.map((name) => ({ name, points: Math.max(0, ...grades.map((g) => exerciseScore(g, name).max)) })),
      totalPoints: manifest.assignment.totalPoints,
    },
    language: isLanguage(lang) ? lang : "en",
    grader: manifest.graderVersion,
    launch: { kind: merged.isolation.join(", "), summary: `${merged.isolation.join(", ")} (as recorded by the merged runs)` },
    grades,
  });
}
