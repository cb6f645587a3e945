/**
 * The autograder's settings, chosen by the instructor at export time and shipped in the zip as
 * tsnb-autograder.json: where the assignment is, what learners see and when, the late policy and
 * the resources one submission may use inside Gradescope's container.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { LANGUAGES } from "@course-kit/kernel-helpers/messages";
import { VISIBILITIES } from "../../results/gradescope";

export const CONFIG_FILE = "tsnb-autograder.json";
/** The assignment's folder inside the autograder source: assignment/<name>/. */
export const ASSIGNMENT_ROOT = "assignment";

/** Gradescope's default container: 768 MB and half a CPU. */
export const GRADESCOPE_MEMORY_MB = 768;
/**
 * The sandbox's share of it. Measured (docs/performance.md): the grader with Jest in band
 * peaks near 120 MiB, the type checker near 60 MiB; a memory bomb is killed by the watchdog
 * within about 100 MiB of the limit; so 256 MiB leaves room for all of it.
 */
export const DEFAULT_SANDBOX_MEMORY_MB = 256;
/** Heap of the grader process itself (the Jest run in band). */
export const GRADER_HEAP_MB = 256;

const visibility = z.enum(VISIBILITIES);

export const latePolicySchema = z.strictObject({
  /** Percent of the earned score taken per started period after the due date (and grace). */
  penaltyPercent: z.number().min(0).max(100),
  periodHours: z.number().positive(),
  maxPercent: z.number().min(0).max(100),
  graceMinutes: z.number().min(0),
});

export type LatePolicy = z.infer<typeof latePolicySchema>;

export const autograderConfigSchema = z.strictObject({
  format: z.literal(1),
  /** Folder name under assignment/. */
  assignment: z.string().regex(/^[\w.-]+$/),
  totalPoints: z.number(),
  graderVersion: z.string(),
  /** Visibility of the tests (and, through Gradescope's rules, of the total until they show). */
  visibility,
  stdoutVisibility: visibility,
  typecheck: z.boolean(),
  limits: z.strictObject({ callTimeoutMs: z.number().positive(), totalBudgetMs: z.number().positive(), memoryMb: z.number().int().positive() }),
  late: latePolicySchema.nullable(),
  /** The language of what learners read (the assignment's, unless the export chose another). */
  language: z.enum(LANGUAGES),
  /** The assignment's autograder timeout on Gradescope, in seconds. */
  timeLimitSeconds: z.number().int().positive(),
});

export type AutograderConfig = z.infer<typeof autograderConfigSchema>;

export function readConfig(sourceDir: string): AutograderConfig {
  const file = path.join(sourceDir, CONFIG_FILE);
  return autograderConfigSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** Seconds run_autograder leaves itself before Gradescope's own timeout, to still write results. */
export function deadlineSeconds(config: AutograderConfig): number {
  return Math.max(30, config.timeLimitSeconds - Math.min(60, Math.ceil(config.timeLimitSeconds / 10)));
}
