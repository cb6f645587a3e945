/**
 * Debian's Chromium, driven by puppeteer-core (which downloads no browser), for tests of what a
 * person sees. Headless, with a new empty profile, no network services of its own, and the
 * flags Chromium needs to run as root in a container.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer, { Browser } from "puppeteer-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
  browser: Browser;
  /** Closes the browser (by its process if it does not close) and removes its profile. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "tsnb-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    // A laptop-sized window: the notebook's output area is as wide as a learner's.
    defaultViewport: { width: 1280, height: 900, deviceScaleFactor: 1 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--lang=ko-KR",
    ],
  });
  const pid = browser.process()?.pid;
  return {
    browser,
    close: async () => {
      try {
        await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]);
      } finally {
        if (pid !== undefined && browser.process()?.exitCode === null) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
