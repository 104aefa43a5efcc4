import path from 'node:path'
import { parseArgs } from 'node:util'
import { ExitCode } from '../core/errors.js'
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
  const report = await verifyBundle({
    source,
    sessionKey: required(values['session-key'], 'session-key'),
    checksum: required(values.checksum, 'checksum'),
    publicKeyPem: await readFlagFile(io.cwd, required(values['public-key'], 'public-key'), 'public-key'),
  })
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`)
  if (report.ok) {
    if (!values.json) io.stdout.write(`OK: a device would accept ${target} (${report.entries} entries, sha256 ${report.sha256})\n`)
    return ExitCode.ok
  }
  io.stderr.write(`live-update: verify failed at step '${report.step}': ${report.message}\n`)
  return ExitCode.verifyFailed
}
