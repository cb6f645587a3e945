/**
 * Reading a learner's .zip without trusting it (yauzl, which validates entry names and sizes):
 * an archive with an entry that leaves its folder (`../x`, `/etc/x`, `C:\x`) or a symbolic link
 * is refused as a whole, since ordinary zip tools never write one; so is an archive that would
 * unpack to more than the limits allow. Only the entries the caller wants are written, each to
 * a file name the caller chooses, so nothing from the archive ever names a path on disk.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import yauzl, { Entry, ZipFile } from "yauzl";
import { MessageRef, render } from "@course-kit/kernel-helpers/messages";

export interface UnzipLimits {
  maxEntries: number;
  /** Sum of the uncompressed sizes of the entries extracted, in bytes. */
  maxTotalBytes: number;
  maxEntryBytes: number;
}

export const DEFAULT_UNZIP_LIMITS: UnzipLimits = { maxEntries: 5000, maxTotalBytes: 256 * 2 ** 20, maxEntryBytes: 64 * 2 ** 20 };

/** Why an archive was refused, as a message the learner reads in their language. */
export class UnsafeZipError extends Error {
  constructor(readonly reason: MessageRef) {
    super(render("en", reason));
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const UNIX_HOST = 3;

export interface ZipEntryInfo {
  /** The entry's path inside the archive (validated: relative, no `..`). */
  name: string;
  size: number;
  directory: boolean;
}

function isSymlink(entry: Entry): boolean {
  return entry.versionMadeBy >> 8 === UNIX_HOST && ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, autoClose: true }, (err, zip) => (err ? reject(err) : resolve(zip))),
  );
}

function openStream(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
}

/**
 * Walk the archive; `choose` returns the file to write an entry to, or undefined to skip it.
 * Rejects (UnsafeZipError) on a traversal, an absolute path, a symbolic link or a limit, and
 * passes yauzl's own errors (a corrupt archive) through as UnsafeZipError too.
 */
export async function extractZip(
  file: string,
  choose: (entry: ZipEntryInfo) => string | undefined,
  limits: UnzipLimits = DEFAULT_UNZIP_LIMITS,
): Promise<ZipEntryInfo[]> {
  let zip: ZipFile;
  try {
    zip = await openZip(file);
  } catch (err) {
    throw new UnsafeZipError({ key: "zip.unreadable", params: { detail: (err as Error).message } });
  }
  const written: ZipEntryInfo[] = [];
  let entries = 0;
  let total = 0;
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      zip.close();
      reject(err instanceof UnsafeZipError ? err : new UnsafeZipError({ key: "zip.refused", params: { detail: (err as Error).message } }));
    };
    zip.on("error", fail);
    zip.on("end", () => resolve(written));
    zip.on("entry", (entry: Entry) => {
      void (async () => {
        if (++entries > limits.maxEntries) throw new UnsafeZipError({ key: "zip.tooManyEntries", params: { max: limits.maxEntries } });
        if (isSymlink(entry)) throw new UnsafeZipError({ key: "zip.symlink", params: { name: entry.fileName } });
        const info: ZipEntryInfo = { name: entry.fileName, size: entry.uncompressedSize, directory: entry.fileName.endsWith("/") };
        const target = info.directory ? undefined : choose(info);
        if (target !== undefined) {
          if (info.size > limits.maxEntryBytes)
            throw new UnsafeZipError({ key: "zip.entryTooLarge", params: { name: info.name, size: info.size, max: limits.maxEntryBytes } });
          total += info.size;
          if (total > limits.maxTotalBytes) throw new UnsafeZipError({ key: "zip.tooLarge", params: { max: limits.maxTotalBytes } });
          await pipeline(await openStream(zip, entry), createWriteStream(target, { mode: 0o600 }));
          written.push(info);
        }
        zip.readEntry();
      })().catch(fail);
    });
    zip.readEntry();
  });
}
