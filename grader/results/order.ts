/**
 * The one order of submissions in every output (grades.csv, the summary, the log, the batch
 * manifest, a merge): by name, strings compared by code unit, the same on every machine and in
 * every locale, whatever order the submissions were given in.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
