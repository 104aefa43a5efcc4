import { mkdtemp, realpath, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createBundle } from '../core/bundle.js'
import { throwIfCancelled } from '../core/cancel.js'
import { readCapacitorConfig } from '../core/capacitor-config.js'
import { parseLevel } from '../core/config.js'
import { inputError } from '../core/errors.js'
import { assertPublicKeyMatches, loadPrivateKey } from '../core/keys.js'
import { isInside } from '../core/paths.js'
import { readFlagFile, required } from './files.js'
import { type CliIo, UsageError } from './io.js'

export async function bundleCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'private-key': { type: 'string' },
      'public-key': { type: 'string' },
      version: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-notify-check': { type: 'boolean', default: false },
      level: { type: 'string', default: '6' },
    },
    strict: true,
  })
  if (positionals.length !== 1) throw new UsageError('bundle takes exactly one <webDir>: live-update bundle dist --private-key .capgo_key_v2 --version 1.2.3 --out bundle.zip')
  const signing = loadPrivateKey(await readFlagFile(io.cwd, required(values['private-key'], 'private-key'), 'private-key'), 'private-key')
  if (values['public-key']) {
    assertPublicKeyMatches(signing, await readFlagFile(io.cwd, values['public-key'], 'public-key'), '--public-key')
  } else {
    // Run from the app project, the key the app ships with must be this key's pair.
    const capacitor = await readCapacitorConfig(io.cwd)
    if (capacitor.publicKey) assertPublicKeyMatches(signing, capacitor.publicKey, `${path.basename(capacitor.file ?? 'capacitor.config')} plugins.CapacitorUpdater.publicKey`)
  }
  const out = path.resolve(io.cwd, required(values.out, 'out'))
  const webDir = path.resolve(io.cwd, positionals[0])
  if (isInside(webDir, out) || isInside(await realOrSelf(webDir), path.join(await realOrSelf(path.dirname(out)), path.basename(out)))) {
    // The next run would zip this run's bundle into the app.
    throw inputError('out', 'input_out_inside_web_dir', `--out ${out} is inside the web folder ${webDir}. Write the bundle somewhere else.`)
  }
  await assertOutWritable(out)
  const version = required(values.version, 'version')
  const compressionLevel = parseLevel(values.level!, 'level')
  // Spill files go to a folder of this run's own, removed whatever happens (a cancel included).
  const spillDir = await mkdtemp(path.join(os.tmpdir(), 'live-update-bundle-'))
  let result: Awaited<ReturnType<typeof createBundle>>
  try {
    result = await createBundle({ webDir, version, signing, outFile: out, requireNotifyAppReady: !values['no-notify-check'], compressionLevel, tempDir: spillDir, signal: io.signal })
  } catch (error) {
    throwIfCancelled(io.signal)
    throw error
  } finally {
    await rm(spillDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...result, out })}\n`)
  } else {
    io.stdout.write(
      [
        `Bundle ${result.version}: ${result.fileCount} files, zip ${result.zipSize} bytes, encrypted ${result.encryptedSize} bytes -> ${out}`,
        `sha256:      ${result.sha256}`,
        `key_id:      ${result.keyId}`,
        `session key: ${result.sessionKey}`,
        `checksum:    ${result.checksum}`,
        '',
      ].join('\n'),
    )
  }
  return 0
}

/** Checked before any work, so a bad --out is a bad-input error (exit 3), not a failure after zipping. */
async function assertOutWritable(out: string): Promise<void> {
  const folder = path.dirname(out)
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    throw inputError('out', 'input_out_dir_missing', `The folder of --out, ${folder}, does not exist. Create it first or choose another --out path.`)
  }
  if ((await stat(out).catch(() => undefined))?.isDirectory()) {
    throw inputError('out', 'input_out_is_folder', `--out ${out} is a folder. Give the path of the file to write, e.g. ${path.join(out, 'bundle.zip')}.`)
  }
}

/** The real path (symlinks resolved) when the path exists, so a symlinked web folder is compared as itself. */
async function realOrSelf(file: string): Promise<string> {
  return realpath(file).catch(() => file)
}
