/**
 * How a generated group test file, the grading environment and tsnb/testing find each other:
 * the environment puts a registry on the test file's global object under REGISTRY_GLOBAL.
 */
import type { Language } from "@course-kit/kernel-helpers/messages";
import type { CallOutcome } from "../sandbox/host";
import type { CellLoadResult } from "../sandbox/protocol";

export const REGISTRY_GLOBAL = "__tsnbSandboxes";

/** One submission's sandbox, as tests see it. */
export interface SandboxBridge {
  call(fn: string, args: unknown[]): Promise<CallOutcome>;
  cells(): CellLoadResult[];
}

export interface SandboxRegistry {
  /** The submission whose tests are being registered (read by tsnb/testing when it loads). */
  current: number;
  bridge(index: number): SandboxBridge;
  /** The submission's tests are over: stop its sandbox and write its report. */
  finish(index: number): Promise<void>;
  /** Test data shared by every submission graded in this process (see tsnb/testing fixture()). */
  fixture<T>(key: string, compute: () => T): T;
  /** The language of the learner-facing messages (English if absent). */
  lang?: Language;
  /** Restart the test file's Math.random at TEST_RANDOM_SEED (before each submission's tests). */
  reseed(): void;
}

/**
 * Hidden tests that draw with Math.random draw the same numbers for every submission in every
 * run, wherever the submission falls in a group and whatever --jobs is: the generated test file
 * restarts the sequence before each submission's tests are loaded and before they run.
 */
export const TEST_RANDOM_SEED = 11;
