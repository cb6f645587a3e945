/**
 * The class report's files in a results folder: report.json (checked against its schema),
 * report.html, and with --compare regrade.csv. Each is written atomically, like every other
 * results file.
 */
import path from "node:path";
import { writeFileAtomic } from "../results/atomic";
import { reportHtml } from "./html";
import { regradeCsv } from "./regrade";
import { ClassReport, classReportSchema } from "./schema";

export interface WrittenReport {
  json: string;
  html: string;
  regradeCsv?: string;
}

export function writeClassReport(outDir: string, report: ClassReport): WrittenReport {
  const checked = classReportSchema.parse(report);
  const written: WrittenReport = { json: path.join(outDir, "report.json"), html: path.join(outDir, "report.html") };
  writeFileAtomic(written.json, JSON.stringify(checked, null, 2) + "\n");
  writeFileAtomic(written.html, reportHtml(checked));
  if (checked.regrade) {
    written.regradeCsv = path.join(outDir, "regrade.csv");
    writeFileAtomic(written.regradeCsv, regradeCsv(checked.regrade));
  }
  return written;
}
