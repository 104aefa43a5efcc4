/**
 * Core messages name the field at fault symbolically, as `{{s3-bucket}}`, and carry
 * `field: 's3-bucket'`; each adapter renders the reference its own way: the action as the input
 * name (`'s3-bucket'`), the CLI as the flag it takes (`--s3-bucket`, `--level`) or, for a value that
 * only comes from the environment, the variable (`LIVE_UPDATE_PRIVATE_KEY`).
 */
import { cliFlagOf, inputSpec, isInputName, type InputName } from './table.js'

/** Flags of the CLI's own commands (bundle, verify, key) that are no action input. */
export const CLI_ONLY_FIELDS = [
  'out',
  'config',
  'force',
  'dir',
  'session-key',
  'checksum',
  'no-notify-check',
  'json',
  'cache-dir',
] as const
/** CLI arguments that are no flag: shown as `<file-or-url>`. */
const CLI_POSITIONALS = new Set(['file-or-url', 'web-dir'])
export type CliOnlyField = (typeof CLI_ONLY_FIELDS)[number]

/** Anything a core error can blame: an input, or a flag of a CLI command. */
export type FieldName = InputName | CliOnlyField

export type FieldStyle = 'action' | 'cli'

const REFERENCE = /\{\{([a-z0-9-]+)\}\}/g

/** `{{name}}` as the user of `style` knows it. */
export function renderField(name: string, style: FieldStyle): string {
  if (style === 'action') return `'${name}'`
  if (CLI_POSITIONALS.has(name)) return `<${name}>`
  if (!isInputName(name)) return `--${name}`
  const flag = cliFlagOf(name)
  if (flag) return `--${flag}`
  const env = inputSpec(name).env
  return env ?? `'${name}'`
}

/** Replace every `{{field}}` reference in a message. */
export function renderFields(message: string, style: FieldStyle): string {
  return message.replace(REFERENCE, (_match, name: string) => renderField(name, style))
}

/** `{{name}}`, for building messages in core. */
export function field(name: FieldName): string {
  return `{{${name}}}`
}
