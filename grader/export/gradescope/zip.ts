/**
 * Writing the autograder zip with yazl: entries in a fixed order with a fixed time stamp (the
 * same inputs give the same bytes), Unix modes kept so that the scripts stay executable, and the
 * file written whole or not at all.
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import { ZipFile } from "yazl";

export interface ZipItem {
  /** Path inside the archive, with forward slashes. */
  name: string;
  data: Buffer;
  mode: number;
}

const FIXED_TIME = new Date("2000-01-01T00:00:00Z");

export async function writeZip(items: ZipItem[], file: string): Promise<void> {
  const zip = new ZipFile();
  for (const item of [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(item.data, item.name, { mtime: FIXED_TIME, mode: item.mode });
  }
  zip.end();
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await pipeline(zip.outputStream, createWriteStream(tmp));
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
