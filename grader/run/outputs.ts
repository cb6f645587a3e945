/**
 * Turning iopub messages into nbformat v4 outputs, the way nbclient does:
 *  - stream: appended, and merged into the previous output when that is the same stream
 *    (newer nbclient versions coalesce; Debian's 0.7.2 keeps one output per message);
 *  - display_data / execute_result: appended; with a `transient.display_id`, also remembered
 *    so that later updates can find it, and any earlier outputs with that id are updated;
 *  - update_display_data: replaces data and metadata of every earlier output (in any cell)
 *    with that display id; adds nothing;
 *  - clear_output: clears the cell's outputs now, or before the next output with `wait`;
 *  - error: appended.
 */
import { CodeCell, Output } from "../notebook/schema";
import { JupyterMessage } from "../../jupyter/wire";

type DisplayOutput = Extract<Output, { output_type: "display_data" | "execute_result" }>;

interface DisplayRef {
  cell: CodeCell;
  output: DisplayOutput;
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient;
  if (transient && typeof transient === "object") {
    const id = (transient as Record<string, unknown>).display_id;
    if (typeof id === "string" && id) return id;
  }
  return undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Output state for one notebook run: the display-id map spans all cells. */
export class NotebookOutputs {
  private readonly displays = new Map<string, DisplayRef[]>();
  private clearPending = new WeakSet<CodeCell>();

  /** Forget a cell's outputs (before executing it, or when an attempt is retried). */
  reset(cell: CodeCell): void {
    this.clearNow(cell);
    this.clearPending.delete(cell);
  }

  private clearNow(cell: CodeCell): void {
    cell.outputs = [];
    for (const [id, refs] of this.displays) {
      const kept = refs.filter((r) => r.cell !== cell);
      if (kept.length) this.displays.set(id, kept);
      else this.displays.delete(id);
    }
  }

  private append(cell: CodeCell, output: Output): void {
    if (this.clearPending.has(cell)) {
      this.clearPending.delete(cell);
      this.clearNow(cell);
    }
    cell.outputs.push(output);
  }

  private updateDisplays(id: string, data: Record<string, unknown>, metadata: Record<string, unknown>): void {
    for (const ref of this.displays.get(id) ?? []) {
      ref.output.data = data;
      ref.output.metadata = metadata;
    }
  }

  /** Apply one iopub message to `cell`. Returns true if it changed the outputs. */
  apply(cell: CodeCell, msg: JupyterMessage): boolean {
    const content = msg.content;
    switch (msg.header.msg_type) {
      case "stream": {
        const name = content.name === "stderr" ? "stderr" : "stdout";
        const text = typeof content.text === "string" ? content.text : "";
        const last = cell.outputs[cell.outputs.length - 1];
        if (!this.clearPending.has(cell) && last && last.output_type === "stream" && last.name === name) {
          last.text = (Array.isArray(last.text) ? last.text.join("") : last.text) + text;
        } else {
          this.append(cell, { output_type: "stream", name, text });
        }
        return true;
      }
      case "display_data":
      case "execute_result": {
        const data = asRecord(content.data);
        const metadata = asRecord(content.metadata);
        const output: DisplayOutput =
          msg.header.msg_type === "execute_result"
            ? {
                output_type: "execute_result",
                execution_count: typeof content.execution_count === "number" ? content.execution_count : null,
                data,
                metadata,
              }
            : { output_type: "display_data", data, metadata };
        const id = displayIdOf(content);
        if (id) this.updateDisplays(id, data, metadata);
        this.append(cell, output);
        if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), { cell, output }]);
        return true;
      }
      case "update_display_data": {
        const id = displayIdOf(content);
        if (!id) return false;
        this.updateDisplays(id, asRecord(content.data), asRecord(content.metadata));
        return true;
      }
      case "clear_output":
        if (content.wait) this.clearPending.add(cell);
        else this.clearNow(cell);
        return true;
      case "error":
        this.append(cell, {
          output_type: "error",
          ename: typeof content.ename === "string" ? content.ename : "",
          evalue: typeof content.evalue === "string" ? content.evalue : "",
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        });
        return true;
      default:
        return false;
    }
  }

  /** Append an output the runner made itself (a timeout, a dead kernel, a rebuilt tslab error). */
  add(cell: CodeCell, output: Output): void {
    this.append(cell, output);
  }

  /** Remove the cell's error outputs (a kernel's report of an interrupt the runner will explain itself); returns them. */
  removeErrors(cell: CodeCell): Extract<Output, { output_type: "error" }>[] {
    const errors = cell.outputs.filter((o): o is Extract<Output, { output_type: "error" }> => o.output_type === "error");
    if (errors.length) cell.outputs = cell.outputs.filter((o) => o.output_type !== "error");
    return errors;
  }

  /**
   * Remove `text` from the end of the cell's last stderr output (used when that text moves
   * into an error output). Returns false, changing nothing, if it is not there.
   */
  removeStderrSuffix(cell: CodeCell, text: string): boolean {
    for (let i = cell.outputs.length - 1; i >= 0; i--) {
      const out = cell.outputs[i];
      if (out.output_type !== "stream" || out.name !== "stderr") continue;
      const current = Array.isArray(out.text) ? out.text.join("") : out.text;
      if (!current.endsWith(text)) return false;
      const left = current.slice(0, current.length - text.length);
      if (left) {
        out.text = left;
        return true;
      }
      cell.outputs.splice(i, 1);
      const before = cell.outputs[i - 1];
      const after = cell.outputs[i];
      if (before?.output_type === "stream" && after?.output_type === "stream" && before.name === after.name) {
        const join = (t: string | string[]) => (Array.isArray(t) ? t.join("") : t);
        before.text = join(before.text) + join(after.text);
        cell.outputs.splice(i, 1);
      }
      return true;
    }
    return false;
  }
}
