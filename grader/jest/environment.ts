/**
 * The Jest test environment for grading. One generated test file grades a group of
 * submissions: for each, it loads the assignment's tests afresh (jest.isolateModules) inside a
 * `describe` block named after the submission, and those tests talk to that submission's own
 * sandbox process. Jest's per-file start-up is paid once per group; isolation between
 * submissions comes from their separate processes. Each sandbox leaves a report (cell load
 * results, learner output, sandbox log) beside its program when its submission is done.
 *
 * In a Jest worker process, this module also makes sure the worker never outlives the grader
 * (it kills itself when orphaned; its sandboxes die with it) and leaves Ctrl-C to the grader.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import { createRng } from "@course-kit/kernel-helpers/random";
import { TestEnvironment } from "jest-environment-node";
import { dieWhenOrphaned } from "../process/orphan";
import { DEFAULT_LIMITS, LearnerSandbox, SandboxLimits } from "../sandbox/host";
import type { SandboxLaunch } from "../sandbox/isolation";
import { REGISTRY_GLOBAL, SandboxRegistry, TEST_RANDOM_SEED } from "./registry";

export interface EnvironmentOptions {
  /** The compiled program of each submission in this file, in order. */
  programFiles: string[];
  moduleFiles: string[];
  limits?: Partial<SandboxLimits>;
  /** More submissions follow: start their sandbox processes ahead of time. */
  prewarm?: boolean;
  /** The isolation the grader chose for this run. */
  launch?: SandboxLaunch;
  /** The language learners read their messages in. */
  lang?: Language;
}

// A forked Jest worker (it has an IPC channel to the grader; an in-band run is the grader itself).
if (typeof process.send === "function") {
  dieWhenOrphaned();
  // A terminal's Ctrl-C reaches the whole process group; the grader stops the workers itself.
  process.on("SIGINT", () => undefined);
}

export const REPORT_FILE = "sandbox-report.json";

export interface SandboxReport {
  cells: LearnerSandbox["cells"];
  output: string;
  log: string[];
}

/**
 * Test data by key, for every test file this worker process runs. Kept as JSON text, so that
 * no object of one test file's realm is handed to another and nothing can be changed in place.
 */
const fixtures = new Map<string, string>();

function fixture<T>(key: string, compute: () => T): T {
  let text = fixtures.get(key);
  if (text === undefined) {
    text = JSON.stringify(compute());
    fixtures.set(key, text);
  }
  return JSON.parse(text) as T;
}

type Config = ConstructorParameters<typeof TestEnvironment>[0];
type Context = ConstructorParameters<typeof TestEnvironment>[1];

export default class LearnerEnvironment extends TestEnvironment {
  private readonly sandboxes: LearnerSandbox[];
  private readonly programFiles: string[];
  private readonly finished = new Set<number>();

  constructor(config: Config, context: Context) {
    super(config, context);
    const options = (config.projectConfig.testEnvironmentOptions as { tsnb?: EnvironmentOptions }).tsnb;
    if (!options) throw new Error("tsnb environment: missing testEnvironmentOptions.tsnb");
    delete (this.global as Record<string, unknown>).tsnb;
    this.programFiles = options.programFiles;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.sandboxes = options.programFiles.map(
      (programFile) =>
        new LearnerSandbox({ programFile, moduleFiles: options.moduleFiles, prewarm: options.prewarm, launch: options.launch, lang: options.lang }, limits),
    );
    const registry: SandboxRegistry = {
      current: 0,
      bridge: (index) => {
        const sandbox = this.sandboxes[index];
        if (!sandbox) throw new Error(`tsnb environment: no submission ${index}`);
        return { call: (fn, args) => sandbox.call(fn, args), cells: () => sandbox.cells };
      },
      finish: (index) => this.finish(index),
      fixture,
      lang: options.lang,
      reseed: () => {
        const rng = createRng(TEST_RANDOM_SEED);
        (this.global as unknown as { Math: Math }).Math.random = () => rng.next();
      },
    };
    (this.global as Record<string, unknown>)[REGISTRY_GLOBAL] = registry;
  }

  private async finish(index: number): Promise<void> {
    if (this.finished.has(index)) return;
    this.finished.add(index);
    const sandbox = this.sandboxes[index];
    await sandbox.dispose();
    const report: SandboxReport = { cells: sandbox.cells, output: sandbox.output, log: sandbox.log };
    writeFileSync(path.join(path.dirname(this.programFiles[index]), REPORT_FILE), JSON.stringify(report));
  }

  async teardown(): Promise<void> {
    for (let i = 0; i < this.sandboxes.length; i++) await this.finish(i);
    await super.teardown();
  }
}
