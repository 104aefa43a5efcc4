import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ExitCode, inputError } from '../core/errors.js'
import { loadPublicKey } from '../core/keys.js'
import { verifyBundle } from '../core/verify.js'
import { readFlagFile, required } from './files.js'
import { type CliIo, UsageError } from './io.js'

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'session-key': { type: 'string' },
      checksum: { type: 'string' },
      'public-key': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (positionals.length !== 1) throw new UsageError('verify takes exactly one <file-or-url>.')
  const target = positionals[0]
  const source = /^https?:\/\//i.test(target) ? target : path.resolve(io.cwd, target)
  const sessionKey = required(values['session-key'], 'session-key')
  const checksum = required(values.checksum, 'checksum')
  const publicKeyPem = await readFlagFile(io.cwd, required(values['public-key'], 'public-key'), 'public-key')
  // Mistakes in what the user typed are bad input (exit 3), not "a device would reject" (exit 4).
  loadPublicKey(publicKeyPem, 'public-key')
  if (!/^[0-9a-f]{512}$/i.test(checksum.trim())) {
    throw inputError(
      'checksum',
      'input_checksum_invalid',
      `--checksum must be the whole 512-character hex signed checksum (the 'checksum' output), got ${checksum.trim().length} characters.`,
    )
  }
  if (source === path.resolve(io.cwd, target) && !(await isFile(source))) {
    throw inputError('file-or-url', 'input_bundle_file_missing', `${target} is not a file. Give the path of the encrypted bundle or its URL.`)
  }
  const report = await verifyBundle({ source, sessionKey, checksum, publicKeyPem })
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`)
  if (report.ok) {
    if (!values.json) io.stdout.write(`OK: a device would accept ${target} (${report.entries} entries, sha256 ${report.sha256})\n`)
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
