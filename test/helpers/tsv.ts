import { readFileSync } from 'node:fs';

/** Rows of a tab-separated table with a header line; `\n` in a cell is a newline. */
export function readTsv(path: string | URL): Record<string, string>[] {
  const [header, ...rows] = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
  const columns = header!.split('\t');
  return rows.map((row) => Object.fromEntries(row.split('\t').map((cell, i) => [columns[i]!, cell.replace(/\\n/g, '\n')])));
}
