import { stat } from 'node:fs/promises'
import path from 'node:path'
import { cancellableFetch, throwIfCancelled } from '../core/cancel.js'
import { ExitCode, inputError } from '../core/errors.js'
import { loadPublicKey } from '../core/keys.js'
import { parseHttpUrl, safeUrl } from '../core/url.js'
import { verifyBundle } from '../core/verify.js'
import { parseFlags, type FlagSpecs } from './args.js'
import { required } from './files.js'
import { type CommandHelp, renderHelp } from './help.js'
import { readFlagFile } from './inputs.js'
import { checkSignatureFlags } from './verify-signature.js'
import { type CliIo, UsageError } from './io.js'

const FLAGS: FlagSpecs = {
  'session-key': {
    type: 'string',
    value: 'S',
    description: 'The ivSessionKey printed by bundle/publish (the session-key output).',
  },
  checksum: {
    type: 'string',
    value: 'C',
    description: 'The signed checksum, all 512 hex characters (the checksum output).',
  },
  'public-key': { type: 'string', value: 'FILE', description: "The app's public key file (.capgo_key_v2.pub)." },
  signature: {
    type: 'string',
    value: 'HEX',
    description:
      'Also check the signed metadata (the signature output, 512 hex), as plugin 8.53+ does; needs --version.',
  },
  version: { type: 'string', value: 'V', description: 'The bundle version the signature covers (with --signature).' },
  json: { type: 'boolean', description: 'Print the report as one JSON line.' },
}

export const VERIFY_HELP: CommandHelp = {
  usage:
    'live-update verify <file-or-url> --session-key S --checksum C --public-key FILE [--signature HEX --version V] [--json]',
  summary:
    'Check a bundle exactly as a device would: download, unwrap the session key, decrypt, check the signed checksum and the zip layout.',
  flags: FLAGS,
  examples: [
    'live-update verify bundle.zip --session-key "$SESSION_KEY" --checksum "$CHECKSUM" --public-key .capgo_key_v2.pub',
    'live-update verify https://updates.example.com/com.example.app/1.2.3/ab12.zip --session-key S --checksum C --public-key .capgo_key_v2.pub --json',
  ],
}

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals, help } = parseFlags(argv, FLAGS, 'verify')
  if (help) {
    io.stdout.write(renderHelp(VERIFY_HELP))
    return 0
  }
  if (positionals.length !== 1)
    throw new UsageError(`verify takes exactly one <file-or-url>: ${VERIFY_HELP.examples[0]}`)
  const target = positionals[0]
  const isUrl = /^https?:\/\//i.test(target)
  // fetch would refuse user:password@ with an error quoting the whole URL: refuse it here, unquoted.
  if (isUrl)
    parseHttpUrl(
      target,
      'file-or-url',
      'input_bundle_url_invalid',
      'https://updates.example.com/com.example.app/1.2.3/ab12.zip',
    )
  const source = isUrl ? target : path.resolve(io.cwd, target)
  const sessionKey = required(values['session-key'], 'session-key', 'verify')
  const checksum = required(values.checksum, 'checksum', 'verify')
  const publicKeyPem = await readFlagFile(io.cwd, required(values['public-key'], 'public-key', 'verify'), 'public-key')
  // Mistakes in what the user typed are bad input (exit 3), not "a device would reject" (exit 4).
  loadPublicKey(publicKeyPem, 'public-key')
  if (!/^[0-9a-f]{512}$/i.test(checksum.trim())) {
    throw inputError(
      'checksum',
      'input_checksum_invalid',
      `{{checksum}} must be the whole 512-character hex signed checksum (the 'checksum' output), got ${checksum.trim().length} characters.`,
    )
  }
  if (!isUrl && !(await isFile(source))) {
    throw inputError(
      'file-or-url',
      'input_bundle_file_missing',
      `${target} is not a file. Give the path of the encrypted bundle or its URL.`,
    )
  }
  const text = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined)
  const signed = checkSignatureFlags(text(values.signature), text(values.version))
  // A cancel ends the download (verify then removes its temp files) and is reported as a cancel.
  const report = signed.check(
    await verifyBundle({
      source,
      sessionKey,
      checksum,
      publicKeyPem,
      fetch: cancellableFetch(globalThis.fetch, io.signal),
    }),
    publicKeyPem,
  )
  throwIfCancelled(io.signal)
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`)
  // A URL may carry credentials or a signed query: never print it whole.
  const shown = isUrl ? safeUrl(target) : target
  if (report.ok) {
    if (!values.json)
      io.stdout.write(`OK: a device would accept ${shown} (${report.entries} entries, sha256 ${report.sha256})\n`)
    return ExitCode.ok
  }
  io.stderr.write(`live-update: verify failed at step '${report.step}': ${report.message}\n`)
  return ExitCode.verifyFailed
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}
