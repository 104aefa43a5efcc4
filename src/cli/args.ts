/**
 * The CLI's argument parser. Not node:util parseArgs: it refuses `--private-key -----BEGIN…` as
 * "ambiguous" (a value starting with '-') and wants a value after every boolean. Here:
 * `--flag value` and `--flag=value` for every flag, whatever the value starts with; booleans need
 * no value (`--dry-run`, `--dry-run=false`, `--no-dry-run`, or a following true/false); `--` ends
 * the flags; `-h`/`--help` asks for the command's help.
 */
import { parseBoolean } from '../core/config/index.js'
import { UsageError } from './io.js'

export interface FlagSpec {
  type: 'string' | 'boolean'
  /** Other spellings accepted (e.g. the action input name when the flag differs). */
  aliases?: readonly string[]
  /** Placeholder in the help (`FILE`, `SEMVER`). */
  value?: string
  description: string
}

export type FlagSpecs = Record<string, FlagSpec>

export interface ParsedArgs {
  values: Record<string, string | boolean>
  positionals: string[]
  help: boolean
}

const BOOLEAN_WORDS = new Set(['true', 'false'])

export function parseFlags(argv: readonly string[], flags: FlagSpecs, command: string): ParsedArgs {
  const byName = new Map<string, string>()
  for (const [name, spec] of Object.entries(flags)) {
    byName.set(name, name)
    for (const alias of spec.aliases ?? []) byName.set(alias, name)
  }
  const values: Record<string, string | boolean> = {}
  const positionals: string[] = []
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h' || arg === '--help') {
      help = true
      continue
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    if (!arg.startsWith('--'))
      throw new UsageError(
        `unknown option '${arg}' for '${command}'. Run 'live-update ${command} --help' for its options.`,
      )
    const at = arg.indexOf('=')
    const given = arg.slice(2, at === -1 ? undefined : at)
    const inline = at === -1 ? undefined : arg.slice(at + 1)
    let name = byName.get(given)
    let negated = false
    if (!name && given.startsWith('no-') && flags[byName.get(given.slice(3)) ?? '']?.type === 'boolean') {
      name = byName.get(given.slice(3))
      negated = true
    }
    if (!name) throw unknownFlag(given, [...byName.keys()], command)
    const spec = flags[name]
    if (spec.type === 'boolean') {
      let value = inline
      if (value === undefined && i + 1 < argv.length && BOOLEAN_WORDS.has(argv[i + 1].toLowerCase())) value = argv[++i]
      let flag: boolean
      try {
        flag = value === undefined ? true : parseBoolean(value, name)
      } catch {
        throw new UsageError(`--${given} is a switch: give no value, or true/false; got '${value}'.`)
      }
      values[name] = negated ? !flag : flag
      continue
    }
    if (negated) throw unknownFlag(given, [...byName.keys()], command)
    let value = inline
    if (value === undefined) {
      const next = argv[i + 1]
      // The next word is the value, even when it starts with '-' (a PEM does), unless it is one of our flags.
      if (next === undefined || (next.startsWith('--') && byName.has(next.slice(2).split('=')[0]))) {
        throw new UsageError(
          `--${given} needs a value: --${given} ${spec.value ?? 'VALUE'} or --${given}=${spec.value ?? 'VALUE'}.`,
        )
      }
      value = next
      i++
    }
    values[name] = value
  }
  return { values, positionals, help }
}

function unknownFlag(given: string, known: string[], command: string): UsageError {
  const guess = closest(given, known)
  return new UsageError(
    `unknown option '--${given}' for '${command}'.${guess ? ` Did you mean '--${guess}'?` : ''} Run 'live-update ${command} --help' for its options.`,
  )
}

/** The known name within 2 edits of `word`, if any (typos such as --verison). */
function closest(word: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const distance = editDistance(word, name)
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance }
  }
  return best?.name
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]
}

/** The options block of a command's help, one flag per line, descriptions wrapped. */
export function describeFlags(flags: FlagSpecs): string {
  const lines: string[] = []
  for (const [name, spec] of Object.entries(flags)) {
    const head = `  --${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`
    const aliases = spec.aliases?.length ? ` (also ${spec.aliases.map((alias) => `--${alias}`).join(', ')})` : ''
    lines.push(head + aliases)
    lines.push(...wrap(spec.description, 96).map((line) => `      ${line}`))
  }
  return lines.join('\n')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  if (line) lines.push(line)
  return lines
}
