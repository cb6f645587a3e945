/**
 * The one message catalogue of everything the kit says to learners, in Korean and English: check
 * tables, test failures, notes about a submission, the feedback page, `tsnb check`; and the class
 * report that teaching assistants read (report.html, in the same language). A message is
 * a key and its parameters; each language has a template per key with `{name}` placeholders.
 *
 * Typed: a key that does not exist, a missing or unknown parameter, a translation missing from
 * one language, or a translation whose placeholders differ from the English one are compile
 * errors. Assignment-specific sentences (the misconception catalogues) are templates of the same
 * kind and are filled by the same `formatTemplate`.
 *
 * Dependency-free and side-effect-free: the grading sandbox loads it with tensor.ts.
 */
import { en } from "./en";
import { ko } from "./ko";

export type Language = "ko" | "en";
export const LANGUAGES: readonly Language[] = ["ko", "en"];

export function isLanguage(value: unknown): value is Language {
  return value === "ko" || value === "en";
}

/** The names of a template's `{placeholders}` (words of letters, digits and `_`, as PLACEHOLDER matches). */
export type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

export type MessageKey = keyof typeof en;

/** A parameter: text or a number, or another message (rendered in the same language). */
export type ParamValue = string | number | MessageRef;
export type MessageParams<K extends MessageKey> = { [P in Placeholders<(typeof en)[K]>]: ParamValue };

/**
 * A message as data: for what is said far from where it is shown (the sandbox process names a
 * timeout, the grader shows it in the learner's language).
 */
export type MessageRef = {
  [K in MessageKey]: [Placeholders<(typeof en)[K]>] extends [never] ? { key: K; params?: undefined } : { key: K; params: MessageParams<K> };
}[MessageKey];

type ParamsArg<K extends MessageKey> = [Placeholders<(typeof en)[K]>] extends [never] ? [] : [params: MessageParams<K>];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type DifferentPlaceholders<E extends Record<string, string>, T extends Record<keyof E, string>> = {
  [K in keyof E]: Same<Placeholders<E[K]>, Placeholders<T[K]>> extends true ? never : K;
}[keyof E];
// A compile error here names the Korean messages whose placeholders are not the English ones.
const placeholdersAgree: [DifferentPlaceholders<typeof en, typeof ko>] extends [never]
  ? true
  : { placeholdersDifferIn: DifferentPlaceholders<typeof en, typeof ko> } = true;
void placeholdersAgree;

export const CATALOGUES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { en, ko };

/** `{name}`: what a placeholder looks like in every template, the kit's and the assignments'. */
export const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholders of a template, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]))];
}

/**
 * Fill a template's placeholders. A placeholder without a value is a bug in a catalogue (or in
 * its caller), so it throws rather than showing learners a raw `{name}`.
 */
export function formatTemplate(template: string, params: Readonly<Record<string, ParamValue>>, lang: Language = "en"): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) throw new Error(`message template needs {${name}}: ${template}`);
    const value = params[name];
    return typeof value === "object" ? render(lang, value) : String(value);
  });
}

/** The message `key` in `lang`, with its parameters filled in. */
export function message<K extends MessageKey>(lang: Language, key: K, ...params: ParamsArg<K>): string {
  return formatTemplate(CATALOGUES[lang][key], params[0] ?? {}, lang);
}

/** A message given as data, in `lang`. */
export function render(lang: Language, ref: MessageRef): string {
  return formatTemplate(CATALOGUES[lang][ref.key], ref.params ?? {}, lang);
}

/** A message as data, checked like `message()`. */
export function messageRef<K extends MessageKey>(key: K, ...params: ParamsArg<K>): MessageRef {
  return (params.length ? { key, params: params[0] } : { key }) as MessageRef;
}

/** Text written in each language by an assignment's author (a hidden test's own message, say). */
export type Localized = Readonly<Record<Language, string>>;
