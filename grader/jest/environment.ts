/**
 * The Jest test environment for grading: one per submission test file. It starts the
 * submission's sandbox before the hidden tests run, gives them the call bridge, and stops the
 * sandbox afterwards, leaving a report (cell load results, learner output, sandbox log) for the
 * grader beside the compiled program.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestEnvironment } from "jest-environment-node";
import { DEFAULT_LIMITS, LearnerSandbox, SandboxLimits } from "../sandbox/host";
import type { SandboxBridge } from "../testing";

export interface EnvironmentOptions {
  programFile: string;
  moduleFiles: string[];
  limits?: Partial<SandboxLimits>;
}

export const REPORT_FILE = "sandbox-report.json";

export interface SandboxReport {
  cells: LearnerSandbox["cells"];
  output: string;
  log: string[];
}

type Config = ConstructorParameters<typeof TestEnvironment>[0];
type Context = ConstructorParameters<typeof TestEnvironment>[1];

export default class LearnerEnvironment extends TestEnvironment {
  private readonly sandbox: LearnerSandbox;
  private readonly reportFile: string;

  constructor(config: Config, context: Context) {
    super(config, context);
    const options = (config.projectConfig.testEnvironmentOptions as { tsnb?: EnvironmentOptions }).tsnb;
    if (!options) throw new Error("tsnb environment: missing testEnvironmentOptions.tsnb");
    delete (this.global as Record<string, unknown>).tsnb;
    this.sandbox = new LearnerSandbox(
      { programFile: options.programFile, moduleFiles: options.moduleFiles },
      { ...DEFAULT_LIMITS, ...options.limits },
    );
    this.reportFile = path.join(path.dirname(options.programFile), REPORT_FILE);
    const bridge: SandboxBridge = {
      call: (fn, args) => this.sandbox.call(fn, args),
      cells: () => this.sandbox.cells,
    };
    (this.global as Record<string, unknown>).__tsnbSandbox = bridge;
  }

  async setup(): Promise<void> {
    await super.setup();
    await this.sandbox.start();
  }

  async teardown(): Promise<void> {
    await this.sandbox.dispose();
    const report: SandboxReport = { cells: this.sandbox.cells, output: this.sandbox.output, log: this.sandbox.log };
    writeFileSync(this.reportFile, JSON.stringify(report));
    await super.teardown();
  }
}
