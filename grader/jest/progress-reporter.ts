/**
 * A silent Jest reporter that forwards "one test file finished" to the grader's progress bar.
 * Jest loads reporters by path in the main process, so the grader and this module share the
 * emitter below.
 */
import { EventEmitter } from "node:events";
import type { Test, TestResult } from "@jest/test-result";

export const progressEvents = new EventEmitter();

export default class ProgressReporter {
  onTestFileResult(test: Test, result: TestResult): void {
    progressEvents.emit("file", test.path, result);
  }
  getLastError(): Error | undefined {
    return undefined;
  }
}
