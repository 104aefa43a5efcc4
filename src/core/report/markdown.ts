/**
 * Text from files and records goes into job summaries and PR comments, where GitHub renders markdown,
 * HTML, @mentions, #references and autolinks. These helpers make such text inert.
 */

const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g
// Control characters except none: a newline or tab must not start a new line or table cell.
const CONTROL = /[\u0000-\u001f\u007f]/g

function visible(text: string, max: number): string {
  const clean = text.replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(CONTROL, '\uFFFD')
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

/**
 * A code span: GitHub shows its content literally (no markdown, HTML, mentions or links). The fence
 * is one backtick longer than any run inside; `|` is escaped, which GFM tables require even in code.
 */
export function codeSpan(text: string, max = 160): string {
  const content = visible(text, max).replace(/\|/g, '\\|')
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence} ${content} ${fence}`
}

/** Plain text in a table cell or line: every character markdown or HTML could act on becomes an entity. */
export function plainText(text: string, max = 300): string {
  return visible(text, max).replace(/[\\`*_{}[\]()<>#+!|~@&"':=]/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`
}
