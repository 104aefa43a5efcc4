import { access, chmod, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { inputError } from '../core/errors.js'
import { checkConfigWritable, writePublicKeyToConfig } from '../core/capacitor-config.js'
import { createKeyPair } from '../core/keys.js'
import { type CliIo, UsageError } from './io.js'

export const PRIVATE_KEY_FILE = '.capgo_key_v2'
export const PUBLIC_KEY_FILE = '.capgo_key_v2.pub'

export async function keyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'create') throw new UsageError(`unknown key command '${sub ?? ''}'. Use 'live-update key create'.`)
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: 'string', default: '.' }, force: { type: 'boolean', default: false }, config: { type: 'string' } },
    strict: true,
  })
  const dir = path.resolve(io.cwd, values.dir!)
  const privateFile = path.join(dir, PRIVATE_KEY_FILE)
  const publicFile = path.join(dir, PUBLIC_KEY_FILE)
  if (!values.force) {
    for (const file of [privateFile, publicFile]) {
      if (await access(file).then(() => true, () => false)) {
        throw inputError('force', 'input_key_file_exists', `${file} already exists. Replacing a key locks out every installed app that holds the old public key; pass --force only if that is what you want.`)
      }
    }
  }
  // A bad --config must fail before the keys are written: a retry would otherwise need --force.
  const config = values.config === undefined ? undefined : path.resolve(io.cwd, values.config)
  if (config) await checkConfigWritable(config)
  const pair = createKeyPair()
  await mkdir(dir, { recursive: true })
  await writeFile(privateFile, pair.privateKeyPem, { mode: 0o600 })
  // writeFile's mode only applies to new files: an overwritten key file keeps no looser permissions.
  await chmod(privateFile, 0o600)
  await writeFile(publicFile, pair.publicKeyPem, { mode: 0o644 })
  io.stdout.write(`Wrote ${privateFile} (private: store it as a CI secret, never commit it)\nWrote ${publicFile} (public: goes in the app)\n`)
  if (config) {
    await writePublicKeyToConfig(config, pair.publicKeyPem)
    io.stdout.write(`Set plugins.CapacitorUpdater.publicKey in ${config}; run 'npx cap sync' so the native apps get it.\n`)
  }
  return 0
}
