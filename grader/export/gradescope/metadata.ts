/**
 * /autograder/submission_metadata.json, as Gradescope documents it: the submission time, the
 * assignment's dates, the users (with their own dates when they have an extension) and previous
 * submissions. Only what tsnb uses is typed; everything is optional, since a missing or odd file
 * must never stop grading.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";

const dates = z.looseObject({
  due_date: z.string().nullish(),
  late_due_date: z.string().nullish(),
  release_date: z.string().nullish(),
});

export const submissionMetadataSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  created_at: z.string().nullish(),
  assignment: dates.extend({ title: z.string().nullish(), total_points: z.union([z.string(), z.number()]).nullish() }).nullish(),
  users: z.array(z.looseObject({ name: z.string().nullish(), email: z.string().nullish(), assignment: dates.nullish() })).nullish(),
});

export type SubmissionMetadata = z.infer<typeof submissionMetadataSchema>;

/** The metadata, or a note saying why there is none (missing file, bad JSON, odd shape). */
export function readMetadata(file: string): { metadata?: SubmissionMetadata; note?: string } {
  if (!existsSync(file)) return { note: `${file} not found: no late policy applied` };
  try {
    const parsed = submissionMetadataSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return { metadata: parsed.data };
    return { note: `${file} does not look like Gradescope's submission metadata (${parsed.error.issues[0].message})` };
  } catch (err) {
    return { note: `${file} could not be read: ${(err as Error).message}` };
  }
}
