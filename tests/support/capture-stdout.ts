/** What `fn` writes to stdout, kept off the test report (helpers print text outside a kernel). */
export function captureStdout(fn: () => void): string {
  const original = process.stdout.write;
  let out = "";
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  };
  try {
    fn();
  } finally {
    process.stdout.write = original;
  }
  return out;
}
