// parsers.ts - the artifact preview's parsers for structured text, loaded on
// demand (a separate chunk) the first time an MLmodel, YAML summary or
// CSV/TSV file is previewed: YAML through the `yaml` library, CSV/TSV through
// papaparse. Both return plain data; preview.ts turns it into DOM.

import Papa from 'papaparse';
import YAML from 'yaml';

export type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

/**
 * Parses YAML (MLmodel, MLproject, conda.yaml) with the `yaml` library's
 * failsafe schema: anchors, aliases, block and flow collections and every
 * scalar style are YAML 1.2's; scalars stay strings, as the summary expects.
 * The caller owns the returned value; throws on a malformed file.
 */
export function parseYaml(src: string): Yaml {
  return YAML.parse(src, { schema: 'failsafe', maxAliasCount: 1000 }) as Yaml;
}

/**
 * Splits delimited text into at most `maxRows` rows with papaparse (RFC 4180
 * quoting: "a,b", doubled quotes, line breaks inside quotes); `more` says
 * whether rows were left out. The caller owns the returned arrays.
 */
export function parseDelimited(src: string, delim: string, maxRows: number): { rows: string[][]; more: boolean } {
  const res = Papa.parse<string[]>(src, { delimiter: delim, preview: maxRows + 1, skipEmptyLines: false });
  let rows = res.data;
  const last = rows[rows.length - 1];
  // the final line break ends the last row, it does not start an empty one
  if (last && last.length === 1 && last[0] === '' && /\r?\n$/.test(src)) rows = rows.slice(0, -1);
  const more = rows.length > maxRows;
  return { rows: more ? rows.slice(0, maxRows) : rows, more };
}
