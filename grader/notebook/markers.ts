/**
 * Marker comments: the plain-text way to mark a source notebook, instead of writing nbgrader
 * metadata by hand. The first line of a code cell may be one of
 *
 *   // tsnb: setup [name]                      a locked setup cell (grade_id setup or setup-<name>)
 *   // tsnb: exercise <function>               a solution cell (grade_id <function>)
 *   // tsnb: check <function> points=<n>       a locked, graded check cell (grade_id check-<function>)
 *
 * From them we derive nbgrader schema v3 metadata, so the rest of the kit (and nbgrader's own
 * tools, after `tsnb sync`) sees an ordinary nbgrader notebook. The marker line itself is taken
 * out of the cell in that derived notebook, as nbgrader takes out its solution delimiters: a
 * marker-only notebook releases and grades exactly like one marked with metadata.
 */
import { sourceText } from "./io";
import { GRADE_ID_PATTERN, NbgraderMetadata, nbgraderOfLenient, tagsOf } from "./nbgrader";
import { Cell, Notebook } from "./schema";

export const MARKER_PREFIX = "tsnb:";
/** A comment line that speaks to tsnb: `// tsnb: ...`. */
const MARKER_LINE = /^\s*\/\/\s*tsnb:(.*)$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const SETUP_TAG = "setup";
const CHECK_PREFIX = "check-";

export type Marker = { kind: "setup"; name?: string } | { kind: "exercise"; name: string } | { kind: "check"; name: string; points: number };

export class MarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MarkerError";
  }
}

export const MARKER_USAGE = ["// tsnb: setup [name]", "// tsnb: exercise <functionName>", "// tsnb: check <functionName> points=<n>"];

/** Parse the text after `tsnb:`; throws MarkerError with a message fit for the instructor. */
export function parseMarker(text: string): Marker {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [kind, ...rest] = words;
  const usage = `expected one of: ${MARKER_USAGE.join(", ")}`;
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (const word of rest) {
    const eq = word.indexOf("=");
    if (eq > 0) options.set(word.slice(0, eq), word.slice(eq + 1));
    else positional.push(word);
  }
  const noExtra = (allowed: string[], maxPositional: number) => {
    const unknown = [...options.keys()].filter((k) => !allowed.includes(k));
    if (unknown.length) throw new MarkerError(`unknown option ${unknown.map((k) => `${k}=`).join(", ")} in "tsnb: ${text.trim()}"; ${usage}`);
    if (positional.length > maxPositional)
      throw new MarkerError(`unexpected "${positional.slice(maxPositional).join(" ")}" in "tsnb: ${text.trim()}"; ${usage}`);
  };
  switch (kind) {
    case "setup": {
      noExtra([], 1);
      const name = positional[0];
      if (name !== undefined && !GRADE_ID_PATTERN.test(name))
        throw new MarkerError(`setup name ${JSON.stringify(name)} may use only letters, digits, "-" and "_"`);
      return name === undefined ? { kind } : { kind, name };
    }
    case "exercise": {
      noExtra([], 1);
      const name = positional[0];
      if (!name) throw new MarkerError(`"tsnb: exercise" needs the exercise's function name, e.g. "// tsnb: exercise conv2dForward"`);
      if (!IDENTIFIER.test(name)) throw new MarkerError(`exercise name ${JSON.stringify(name)} is not a function name`);
      return { kind, name };
    }
    case "check": {
      noExtra(["points"], 1);
      const name = positional[0];
      if (!name) throw new MarkerError(`"tsnb: check" needs the exercise it checks, e.g. "// tsnb: check conv2dForward points=15"`);
      if (!IDENTIFIER.test(name)) throw new MarkerError(`exercise name ${JSON.stringify(name)} is not a function name`);
      const raw = options.get("points");
      if (raw === undefined) throw new MarkerError(`"tsnb: check ${name}" needs its points, e.g. "// tsnb: check ${name} points=10"`);
      const points = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(points) || points < 0) throw new MarkerError(`points=${raw} is not a number of points (0 or more)`);
      return { kind, name, points };
    }
    default:
      throw new MarkerError(kind ? `unknown marker "${kind}"; ${usage}` : `empty marker; ${usage}`);
  }
}

/** The nbgrader metadata a marker stands for. */
export function markerMetadata(marker: Marker, setupIndex: number): NbgraderMetadata {
  const base = { schema_version: 3 as const };
  switch (marker.kind) {
    case "setup":
      return {
        ...base,
        grade: false,
        solution: false,
        locked: true,
        grade_id: marker.name ? `setup-${marker.name}` : setupIndex === 0 ? "setup" : `setup-${setupIndex + 1}`,
      };
    case "exercise":
      return { ...base, grade: false, solution: true, locked: false, grade_id: marker.name };
    case "check":
      return { ...base, grade: true, solution: false, locked: true, grade_id: `${CHECK_PREFIX}${marker.name}`, points: marker.points };
  }
}

export function formatMarker(marker: Marker): string {
  switch (marker.kind) {
    case "setup":
      return `// tsnb: setup${marker.name ? ` ${marker.name}` : ""}`;
    case "exercise":
      return `// tsnb: exercise ${marker.name}`;
    case "check":
      return `// tsnb: check ${marker.name} points=${marker.points}`;
  }
}

/** A marker found on a cell, with where it stands. */
export interface MarkedCell {
  index: number;
  marker: Marker;
  /** The metadata the marker derives. */
  metadata: NbgraderMetadata;
  /** The cell's source without the marker line. */
  strippedSource: string;
}

/** The first non-blank line, and the text after it. */
function firstLine(text: string): { line: string; rest: string } {
  const match = /^((?:[ \t]*\r?\n)*)([^\n]*)(\n?)([\s\S]*)$/.exec(text);
  return match ? { line: match[2], rest: match[4] } : { line: "", rest: text };
}

/** A marker line as found on a cell's first line, parsed or not. */
interface ScannedMarker {
  index: number;
  /** The parsed marker, or why it could not be parsed. */
  parsed: { marker: Marker; metadata: NbgraderMetadata } | { error: string };
  /** The cell's source without the marker line. */
  rest: string;
}

/** Every code cell whose first non-blank line is a marker; setup cells are numbered in order. */
function scanMarkers(nb: Notebook): ScannedMarker[] {
  const scanned: ScannedMarker[] = [];
  let setups = 0;
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const { line, rest } = firstLine(sourceText(cell));
    const head = MARKER_LINE.exec(line);
    if (!head) return;
    try {
      const marker = parseMarker(head[1]);
      const metadata = markerMetadata(marker, marker.kind === "setup" ? setups++ : 0);
      scanned.push({ index, parsed: { marker, metadata }, rest });
    } catch (err) {
      scanned.push({ index, parsed: { error: (err as Error).message }, rest });
    }
  });
  return scanned;
}

/**
 * Find the markers of a notebook. In strict mode (source notebooks) every malformed marker, a
 * marker away from the first line, and every conflict with the cell's metadata is an error
 * naming the cell; in lenient mode (submissions) such cells are left as they are.
 */
export function findMarkers(nb: Notebook, file: string, mode: "strict" | "lenient"): MarkedCell[] {
  const where = (i: number) => `${file}, cell ${i + 1}`;
  const scanned = scanMarkers(nb);
  if (mode === "strict") {
    nb.cells.forEach((cell, index) => {
      if (cell.cell_type !== "code" || scanned.some((s) => s.index === index)) return;
      const later = sourceText(cell)
        .split("\n")
        .findIndex((l) => MARKER_LINE.test(l));
      if (later >= 0) throw new MarkerError(`${where(index)}: a "// tsnb:" marker must be the cell's first line (found on line ${later + 1})`);
    });
  }
  const found: MarkedCell[] = [];
  for (const { index, parsed, rest } of scanned) {
    if ("error" in parsed) {
      if (mode === "strict") throw new MarkerError(`${where(index)}: ${parsed.error}`);
      continue;
    }
    const conflict = metadataConflict(nb.cells[index], parsed.metadata);
    if (conflict) {
      if (mode === "lenient") continue;
      throw new MarkerError(
        `${where(index)}: the marker "${formatMarker(parsed.marker)}" and the cell's nbgrader metadata disagree: ${conflict}. ` +
          `Change the marker, or run "tsnb sync --overwrite" to replace the metadata with what the marker says`,
      );
    }
    found.push({ index, marker: parsed.marker, metadata: parsed.metadata, strippedSource: rest });
  }
  if (mode === "strict") checkMarkerSet(nb, found, where);
  return found;
}

/** What differs between a cell's existing nbgrader metadata and the marker's; undefined when they agree (or there is none). */
export function metadataConflict(cell: Cell, derived: NbgraderMetadata): string | undefined {
  const raw = cell.metadata.nbgrader;
  if (raw === undefined) return undefined;
  const existing = nbgraderOfLenient(cell);
  if (!existing) return "the metadata is malformed";
  const diffs: string[] = [];
  for (const key of ["grade", "solution", "locked", "grade_id"] as const) {
    if (existing[key] !== derived[key]) diffs.push(`${key} is ${JSON.stringify(existing[key])} in the metadata, ${JSON.stringify(derived[key])} by the marker`);
  }
  if (derived.grade && existing.points !== derived.points) diffs.push(`points are ${existing.points} in the metadata, ${derived.points} by the marker`);
  return diffs.length ? diffs.join("; ") : undefined;
}

/** Errors that only the whole notebook shows: an exercise marked twice, a check with no exercise. */
function checkMarkerSet(nb: Notebook, found: MarkedCell[], where: (i: number) => string): void {
  const owner = new Map<string, number>();
  nb.cells.forEach((cell, index) => {
    const marked = found.find((m) => m.index === index);
    const id = marked ? marked.metadata.grade_id : nbgraderOfLenient(cell)?.grade_id;
    if (!id) return;
    const first = owner.get(id);
    if (first !== undefined) {
      const what = marked?.marker.kind === "exercise" ? `exercise ${id}` : `grade_id ${JSON.stringify(id)}`;
      throw new MarkerError(`${where(index)}: ${what} is marked twice (first in cell ${first + 1}); each exercise needs a name of its own`);
    }
    owner.set(id, index);
  });
  const solutions = new Set(
    nb.cells
      .map((cell, index) => found.find((m) => m.index === index)?.metadata ?? nbgraderOfLenient(cell))
      .filter((m): m is NbgraderMetadata => !!m?.solution && !!m.grade_id)
      .map((m) => m.grade_id),
  );
  for (const m of found) {
    if (m.marker.kind === "check" && !solutions.has(m.marker.name)) {
      throw new MarkerError(
        `${where(m.index)}: "${formatMarker(m.marker)}" checks an exercise that no cell defines; mark its solution cell with "// tsnb: exercise ${m.marker.name}"`,
      );
    }
  }
}

/** The cell with the marker's metadata (and the setup tag) added. */
function withMetadata(cell: Cell, m: MarkedCell): Cell {
  const meta = cell.metadata;
  const tags = tagsOf(cell);
  const metadata: Record<string, unknown> = { ...meta, nbgrader: { ...(meta.nbgrader as object | undefined), ...m.metadata } };
  if (m.marker.kind === "setup" && !tags.includes(SETUP_TAG)) metadata.tags = [...tags, SETUP_TAG];
  return { ...cell, metadata };
}

/**
 * The notebook as the kit reads it: marked cells carry their derived metadata, and their
 * marker lines are gone. A notebook without markers comes back unchanged.
 */
export function applyMarkers(nb: Notebook, file: string, mode: "strict" | "lenient"): Notebook {
  const found = findMarkers(nb, file, mode);
  if (found.length === 0) return nb;
  const byIndex = new Map(found.map((m) => [m.index, m]));
  const cells = nb.cells.map((cell, index) => {
    const m = byIndex.get(index);
    return m ? { ...withMetadata(cell, m), source: m.strippedSource } : cell;
  });
  return { ...nb, cells };
}

/**
 * The source notebook with the markers' metadata written in and the markers kept (`tsnb sync`):
 * what nbgrader's tools and any front end then see. With `overwrite`, metadata that disagrees
 * with a marker is replaced instead of being an error.
 */
export function syncMarkers(nb: Notebook, file: string, options: { overwrite?: boolean } = {}): { notebook: Notebook; changed: number[] } {
  const source = options.overwrite ? withoutConflictingMetadata(nb) : nb;
  const found = findMarkers(source, file, "strict");
  const changed: number[] = [];
  const cells = source.cells.map((cell, index) => {
    const m = found.find((f) => f.index === index);
    if (!m) return cell;
    const updated = withMetadata(cell, m);
    if (JSON.stringify(updated.metadata) !== JSON.stringify(nb.cells[index].metadata)) changed.push(index);
    return updated;
  });
  return { notebook: { ...nb, cells }, changed };
}

/** Drop the nbgrader metadata of marked cells whose metadata disagrees with their marker. */
function withoutConflictingMetadata(nb: Notebook): Notebook {
  const cells = nb.cells.slice();
  for (const { index, parsed } of scanMarkers(nb)) {
    if ("error" in parsed || !metadataConflict(cells[index], parsed.metadata)) continue; // errors: reported by the strict pass
    const metadata = { ...cells[index].metadata };
    delete metadata.nbgrader;
    cells[index] = { ...cells[index], metadata };
  }
  return { ...nb, cells };
}
