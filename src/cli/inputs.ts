/**
 * From the CLI's flags and environment to input values: the flags of `publish` come from the input
 * table, and each secret may come from its environment variable instead of the command line.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { inputError } from '../core/errors.js'
import { cliFlagOf, INPUTS, type InputName, type InputSpec } from '../core/inputs/index.js'
import type { FlagSpecs } from './args.js'
import type { CliIo } from './io.js'

/** `--private-key` takes a file; PEM text there is accepted, with a warning (other processes can see argv). */
export function looksLikePem(value: string): boolean {
  return value.includes('-----BEGIN ')
}

const PLACEHOLDER: Partial<Record<InputSpec['kind'], string>> = {
  path: 'PATH',
  url: 'URL',
  int: 'N',
  template: 'TEMPLATE',
  pem: 'FILE',
  'secret-text': 'VALUE',
}

function flagDescription(spec: InputSpec): string {
  const parts = [spec.description.replace(/ Masked\.$/, '')]
  if (spec.choices) parts.push(`One of: ${spec.choices.join(', ')}.`)
  if (spec.default !== undefined) parts.push(`Default: ${spec.default}.`)
  if (spec.env && spec.envReader !== 'aws-sdk') parts.push(`Or set ${spec.env}.`)
  if (spec.env && spec.envReader === 'aws-sdk')
    parts.push(`Unset: the AWS SDK reads ${spec.env} (and AWS_SESSION_TOKEN, profiles) itself.`)
  return parts.join(' ')
}

/** Every `publish` flag: one per input that has one, plus the CLI's own. */
export function publishFlags(): FlagSpecs {
  const flags: FlagSpecs = {}
  for (const spec of INPUTS as readonly InputSpec[]) {
    if (spec.actionOnly) {
      // Accepted so one set of inputs serves the action and the CLI; it has no effect here.
      flags[spec.name] = {
        type: spec.kind === 'boolean' ? 'boolean' : 'string',
        value: 'VALUE',
        description: 'Action only: accepted and ignored by the CLI.',
      }
      continue
    }
    const flag = cliFlagOf(spec.name as InputName)
    if (!flag) continue
    const aliases = flag === spec.name ? [] : [spec.name]
    if (spec.name === 'private-key-file') {
      flags[flag] = {
        type: 'string',
        aliases,
        value: 'FILE',
        description: 'The private key file (.capgo_key_v2). Or set LIVE_UPDATE_PRIVATE_KEY to its PEM text.',
      }
      continue
    }
    if (spec.name === 'public-key') {
      flags[flag] = {
        type: 'string',
        value: 'FILE',
        description:
          "The app's public key file (.capgo_key_v2.pub). Default, plugins.CapacitorUpdater.publicKey of capacitor.config; it must match the private key.",
      }
      continue
    }
    flags[flag] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      aliases,
      value: PLACEHOLDER[spec.kind],
      description: flagDescription(spec),
    }
  }
  flags['no-notify-check'] = { type: 'boolean', description: 'Same as --require-notify-app-ready false.' }
  flags.json = { type: 'boolean', description: 'Print the result as one JSON line on stdout.' }
  flags['cache-dir'] = {
    type: 'string',
    value: 'DIR',
    description: 'Reuse deflated files from earlier runs kept in DIR (the action uses bundle-cache instead).',
  }
  return flags
}

/**
 * The input values of one `publish`: flags first, then the documented environment variables
 * (never GitHub's run environment: the CLI runs anywhere). Files named by flags are read here.
 */
export async function publishInputValues(
  values: Record<string, string | boolean>,
  io: CliIo,
): Promise<Partial<Record<InputName, string>>> {
  const out: Partial<Record<InputName, string>> = {}
  for (const spec of INPUTS as readonly InputSpec[]) {
    const name = spec.name as InputName
    const flag = cliFlagOf(name)
    const value = flag ? values[flag] : undefined
    if (value !== undefined) out[name] = String(value)
    else if (spec.env && spec.envReader !== 'aws-sdk' && !spec.actionOnly && io.env[spec.env])
      out[name] = io.env[spec.env]
  }
  for (const spec of INPUTS as readonly InputSpec[]) {
    if (spec.actionOnly && values[spec.name] !== undefined)
      io.stderr.write(`warning: --${spec.name} is an action input; the CLI ignores it.\n`)
  }
  if (values['no-notify-check'] === true) out['require-notify-app-ready'] = 'false'
  const keyFlag = out['private-key-file']
  if (keyFlag !== undefined) {
    // An explicit --private-key wins over LIVE_UPDATE_PRIVATE_KEY.
    delete out['private-key']
    if (looksLikePem(keyFlag)) {
      warnKeyOnCommandLine(io)
      out['private-key'] = keyFlag
      delete out['private-key-file']
    }
  }
  if (out['public-key'] !== undefined && !looksLikePem(out['public-key']))
    out['public-key'] = await readFlagFile(io.cwd, out['public-key'], 'public-key')
  return out
}

export function warnKeyOnCommandLine(io: CliIo): void {
  io.stderr.write(
    'warning: --private-key holds PEM text; a command line is visible to other processes. Give the file instead, or set LIVE_UPDATE_PRIVATE_KEY.\n',
  )
}

/** Reads a file named by a flag, with an error that names the field. */
export async function readFlagFile(cwd: string, file: string, field: string): Promise<string> {
  const absolute = path.resolve(cwd, file)
  try {
    return await readFile(absolute, 'utf8')
  } catch {
    throw inputError(
      field,
      'input_file_unreadable',
      `Cannot read the {{${field}}} file '${file}' (${absolute}). Check the path.`,
    )
  }
}
