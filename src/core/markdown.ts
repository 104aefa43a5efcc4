/**
 * Putting text we do not control (file names, versions, channels, messages, URLs, server answers)
 * into GitHub markdown (the job summary, the PR comment) so that it stays text: no @mention,
 * issue reference, link, autolink, image, HTML, emphasis, table break or line break can come out
 * of it. GitHub renders with cmark-gfm, then links mentions and references in text nodes but never
 * inside code spans: values go in code spans, prose is escaped character by character.
 */

/** U+2060 WORD JOINER: invisible, and it stops GitHub's mention, reference and autolink matchers. */
const JOIN = '\u2060'

/** Control, line-separator and bidi-override characters: shown as U+FFFD, never acted on. */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

function visible(text: string, max: number): string {
  const clean = text.replace(/\r\n?|\n/g, ' ').replace(UNSAFE_CHARACTERS, '\ufffd')
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

/**
 * Prose (an error message): readable as text, inert as markdown. Safe in a table cell too. Only
 * what can start markup mid-line is escaped (never at a line start: callers put a prefix first):
 * `(`, `!` or `#` do nothing without the `[`, `]` that are escaped.
 */
export function mdText(text: string, max = 2_000): string {
  return visible(text, max)
    .replace(/[\\`*_[\]|<>~&]/g, '\\$&')
    .replace(/@/g, `@${JOIN}`)
    .replace(/#/g, `#${JOIN}`)
    .replace(/:\/\//g, `:${JOIN}//`)
    .replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}${JOIN}.`)
}

/**
 * A value (name, version, URL, id) as a code span: shown exactly, never interpreted. `inTable`
 * escapes `|`, which GFM splits table cells on even inside code spans (and shows as `|`).
 */
export function mdCode(text: string, options: { inTable?: boolean; max?: number } = {}): string {
  let value = visible(text, options.max ?? 500)
  if (value === '') return '—'
  if (options.inTable) value = value.replace(/\|/g, '\\|')
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = value.startsWith('`') || value.endsWith('`') || value.startsWith(' ') ? ' ' : ''
  return `${fence}${pad}${value}${pad}${fence}`
}

/** A link only to an http(s) URL without spaces or angle brackets; otherwise the text alone. */
export function mdLink(label: string, url: string | undefined): string {
  if (!url || !/^https?:\/\/[^\s<>]+$/i.test(url)) return mdText(label)
  return `[${mdText(label)}](<${url}>)`
}

/** A table: a header row, and cells already made safe with mdText / mdCode({ inTable }). */
export function mdTable(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)]
}
