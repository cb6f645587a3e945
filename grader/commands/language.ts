/** `--lang`: the language learners read (messages, notes, feedback pages, `tsnb check`'s table). */
import { InvalidArgumentError } from "commander";
import { isLanguage, Language, LANGUAGES } from "@course-kit/kernel-helpers/messages";

export function parseLanguage(value: string): Language {
  if (!isLanguage(value)) throw new InvalidArgumentError(`expected one of ${LANGUAGES.join(", ")}`);
  return value;
}

/** The option's arguments for commander's `.option(...)`. */
export const LANGUAGE_OPTION = [
  `--lang <${LANGUAGES.join("|")}>`,
  "the language of learner-facing text (test messages, notes, feedback pages); default: the assignment's (assignment.json), else en",
  parseLanguage,
] as const;
