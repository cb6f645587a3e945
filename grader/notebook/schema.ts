/**
 * A zod model of the nbformat v4 document (minor versions 0 to 5), following the published
 * JSON schema `nbformat.v4.5.schema.json`. It is the gate every notebook passes on the way in,
 * so that the rest of the grader can rely on the shape; the authority remains Python's
 * `nbformat.validate`, which the tests run against what we write.
 */
import { z } from "zod";

const multiline = z.union([z.string(), z.array(z.string())]);
const jsonObject = z.record(z.string(), z.unknown());
/** nbformat 4.5 cell ids: 1-64 characters of letters, digits, `-` and `_`. */
export const CELL_ID_PATTERN = /^[a-zA-Z0-9-_]+$/;
const cellId = z.string().min(1).max(64).regex(CELL_ID_PATTERN);
const mimeBundle = z.record(z.string(), z.unknown());

const streamOutput = z.object({
  output_type: z.literal("stream"),
  name: z.enum(["stdout", "stderr"]),
  text: multiline,
});
const displayDataOutput = z.object({
  output_type: z.literal("display_data"),
  data: mimeBundle,
  metadata: jsonObject,
});
const executeResultOutput = z.object({
  output_type: z.literal("execute_result"),
  execution_count: z.number().int().min(0).nullable(),
  data: mimeBundle,
  metadata: jsonObject,
});
const errorOutput = z.object({
  output_type: z.literal("error"),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});
export const outputSchema = z.discriminatedUnion("output_type", [streamOutput, displayDataOutput, executeResultOutput, errorOutput]);

const codeCell = z.object({
  cell_type: z.literal("code"),
  id: cellId.optional(),
  metadata: jsonObject,
  source: multiline,
  outputs: z.array(outputSchema),
  execution_count: z.number().int().min(0).nullable(),
});
const markdownCell = z.object({
  cell_type: z.literal("markdown"),
  id: cellId.optional(),
  metadata: jsonObject,
  source: multiline,
  attachments: jsonObject.optional(),
});
const rawCell = z.object({
  cell_type: z.literal("raw"),
  id: cellId.optional(),
  metadata: jsonObject,
  source: multiline,
  attachments: jsonObject.optional(),
});
export const cellSchema = z.discriminatedUnion("cell_type", [codeCell, markdownCell, rawCell]);

export const notebookSchema = z.object({
  nbformat: z.literal(4),
  nbformat_minor: z.number().int().min(0),
  metadata: z.looseObject({
    kernelspec: z.looseObject({ name: z.string(), display_name: z.string() }).optional(),
    language_info: z.looseObject({ name: z.string() }).optional(),
  }),
  cells: z.array(cellSchema),
});

export type Output = z.infer<typeof outputSchema>;
export type StreamOutput = z.infer<typeof streamOutput>;
export type ErrorOutput = z.infer<typeof errorOutput>;
export type CodeCell = z.infer<typeof codeCell>;
export type MarkdownCell = z.infer<typeof markdownCell>;
export type RawCell = z.infer<typeof rawCell>;
export type Cell = z.infer<typeof cellSchema>;
export type Notebook = z.infer<typeof notebookSchema>;
