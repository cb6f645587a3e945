/**
 * The late policy: a penalty per started period after the due date (plus grace), capped. It is
 * computed from the submission's `created_at` and the due dates in the metadata, never from the
 * clock, so a regrade months later gives the same score. A user's own due date (an extension)
 * wins over the assignment's; in a group, the latest of the members' due dates counts.
 */
import { Language, message } from "@course-kit/kernel-helpers/messages";
import type { LatePolicy } from "./config";
import type { SubmissionMetadata } from "./metadata";

export interface Lateness {
  submittedAt: string;
  dueDate: string;
  /** The due date came from a user's own dates (an extension). */
  extension: boolean;
  /** Time after the due date, in ms (0 when on time). */
  lateMs: number;
  /** Started periods after the due date and the grace period. */
  periods: number;
  penaltyPercent: number;
}

function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** How late the submission is under `policy`, or a note saying why that cannot be told. */
export function lateness(policy: LatePolicy, metadata: SubmissionMetadata): { late?: Lateness; note?: string } {
  const submitted = parseTime(metadata.created_at);
  if (submitted === undefined) return { note: "the submission metadata has no valid created_at: no late policy applied" };
  const userDates = (metadata.users ?? []).map((u) => u.assignment?.due_date).filter((d): d is string => parseTime(d) !== undefined);
  const candidates = userDates.length ? userDates : [metadata.assignment?.due_date].filter((d): d is string => parseTime(d) !== undefined);
  if (candidates.length === 0) return { note: "the submission metadata has no due date: no late policy applied" };
  const dueDate = candidates.reduce((a, b) => (parseTime(b)! > parseTime(a)! ? b : a));
  const extension = userDates.length > 0 && parseTime(dueDate) !== parseTime(metadata.assignment?.due_date);
  const lateMs = Math.max(0, submitted - parseTime(dueDate)!);
  const periods = Math.ceil(Math.max(0, lateMs - policy.graceMinutes * 60_000) / (policy.periodHours * 3_600_000));
  const penaltyPercent = Math.min(policy.maxPercent, periods * policy.penaltyPercent);
  return { late: { submittedAt: metadata.created_at!, dueDate, extension, lateMs, periods, penaltyPercent } };
}

/** "1 d 3 h 5 min" ("1일 3시간 5분") */
export function formatDuration(ms: number, lang: Language = "en"): string {
  const minutes = Math.ceil(ms / 60_000);
  const parts: string[] = [];
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d) parts.push(message(lang, "duration.days", { n: d }));
  if (h) parts.push(message(lang, "duration.hours", { n: h }));
  if (m || parts.length === 0) parts.push(message(lang, "duration.minutes", { n: m }));
  return parts.join(" ");
}

export function applyPenalty(score: number, penaltyPercent: number): number {
  return Math.round(score * (100 - penaltyPercent)) / 100;
}

/** The learner-facing line that explains a penalty. */
export function lateLine(late: Lateness, policy: LatePolicy, before: number, after: number, lang: Language = "en"): string {
  const due = message(lang, late.extension ? "late.dueExtended" : "late.due", { date: late.dueDate });
  const rule =
    message(lang, "late.rule", { percent: policy.penaltyPercent, hours: policy.periodHours }) +
    (policy.maxPercent < 100 ? message(lang, "late.ruleMax", { max: policy.maxPercent }) : "") +
    (policy.graceMinutes ? message(lang, "late.ruleGrace", { grace: policy.graceMinutes }) : "");
  return message(lang, "late.line", {
    duration: formatDuration(late.lateMs, lang),
    due,
    submitted: late.submittedAt,
    penalty: late.penaltyPercent,
    rule,
    before,
    after,
  });
}
