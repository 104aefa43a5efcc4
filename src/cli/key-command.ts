import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { inputError } from '../core/errors.js'
import { checkConfigWritable, writePublicKeyToConfig } from '../core/capacitor-config.js'
import { createKeyPair } from '../core/keys.js'
import { parseFlags, type FlagSpecs } from './args.js'
import { type CommandHelp, renderHelp } from './help.js'
import { type CliIo, UsageError } from './io.js'

export const PRIVATE_KEY_FILE = '.capgo_key_v2'
export const PUBLIC_KEY_FILE = '.capgo_key_v2.pub'
/** The CI secret name the README, this command and the missing-key error all use. */
export const PRIVATE_KEY_SECRET = 'LIVE_UPDATE_PRIVATE_KEY'

const FLAGS: FlagSpecs = {
  dir: {
    type: 'string',
    value: 'D',
    description: 'Folder to write the key files in (default: the current folder, your app project).',
  },
  force: {
    type: 'boolean',
    description: 'Replace existing key files (installed apps holding the old public key then reject every update).',
  },
  config: {
    type: 'string',
    value: 'FILE',
    description: 'Also write the public key into this capacitor.config.json (plugins.CapacitorUpdater.publicKey).',
  },
}

export const KEY_HELP: CommandHelp = {
  usage: 'live-update key create [--dir D] [--force] [--config FILE]',
  summary: `Write ${PRIVATE_KEY_FILE} (private: a CI secret, never committed; added to .gitignore) and ${PUBLIC_KEY_FILE} (public: goes in the app).`,
  flags: FLAGS,
  examples: [
    'live-update key create --config capacitor.config.json',
    `gh secret set ${PRIVATE_KEY_SECRET} < ${PRIVATE_KEY_FILE}`,
  ],
}

export async function keyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(renderHelp(KEY_HELP))
    return 0
  }
  if (sub !== 'create')
    throw new UsageError(
      `unknown key command '${sub ?? ''}'. Use 'live-update key create' (see 'live-update key create --help').`,
    )
  const { values, positionals, help } = parseFlags(rest, FLAGS, 'key create')
  if (help) {
    io.stdout.write(renderHelp(KEY_HELP))
    return 0
  }
  if (positionals.length > 0) throw new UsageError(`key create takes no arguments; unexpected '${positionals[0]}'.`)
  const dir = path.resolve(io.cwd, typeof values.dir === 'string' ? values.dir : '.')
  const privateFile = path.join(dir, PRIVATE_KEY_FILE)
  const publicFile = path.join(dir, PUBLIC_KEY_FILE)
  if (values.force !== true) {
    for (const file of [privateFile, publicFile]) {
      if (
        await access(file).then(
          () => true,
          () => false,
        )
      ) {
        throw inputError(
          'force',
          'input_key_file_exists',
          `${file} already exists. Replacing a key locks out every installed app that holds the old public key; pass {{force}} only if that is what you want.`,
        )
      }
    }
  }
  // A bad --config must fail before the keys are written: a retry would otherwise need --force.
  const config = typeof values.config === 'string' ? path.resolve(io.cwd, values.config) : undefined
  if (config) await checkConfigWritable(config)
  if (
    config &&
    !(await access(config).then(
      () => true,
      () => false,
    ))
  ) {
    throw inputError(
      'config',
      'input_capacitor_config_missing',
      `{{config}} ${config} does not exist. Give the app's capacitor.config file (capacitor.config.json is rewritten; a .ts/.js one gets a snippet to paste).`,
    )
  }
  const pair = createKeyPair()
  await mkdir(dir, { recursive: true })
  // Ignored before the key exists: a `git add -A` right after must not stage it.
  const ignore = await ignoreInGit(dir)
  await writeFile(privateFile, pair.privateKeyPem, { mode: 0o600 })
  // writeFile's mode only applies to new files: an overwritten key file keeps no looser permissions.
  await chmod(privateFile, 0o600)
  await writeFile(publicFile, pair.publicKeyPem, { mode: 0o644 })
  io.stdout.write(
    `Wrote ${privateFile} (private: store it as a CI secret, never commit it)\nWrote ${publicFile} (public: goes in the app)\n`,
  )
  io.stdout.write(
    ignore === 'added'
      ? `Added ${PRIVATE_KEY_FILE} to ${path.join(dir, '.gitignore')}\n`
      : `${path.join(dir, '.gitignore')} already ignores ${PRIVATE_KEY_FILE}\n`,
  )
  if (config?.endsWith('.json')) {
    await writePublicKeyToConfig(config, pair.publicKeyPem)
    io.stdout.write(
      `Set plugins.CapacitorUpdater.publicKey in ${config}; run 'npx cap sync' so the native apps get it.\n`,
    )
  } else if (config) {
    // Code is not rewritten (it could be anything): the keys are written, the user pastes one line.
    io.stdout.write(
      `${config} is code, so it is not rewritten. Add this to its config object (the public key is not secret), then run 'npx cap sync':\n  plugins: { CapacitorUpdater: { publicKey: ${JSON.stringify(pair.publicKeyPem)} } }\n`,
    )
  }
  io.stdout.write(
    `Next: store the private key as the CI secret ${PRIVATE_KEY_SECRET}, e.g.\n  gh secret set ${PRIVATE_KEY_SECRET} < ${path.relative(io.cwd, privateFile) || PRIVATE_KEY_FILE}\n`,
  )
  return 0
}

/** Make sure `<dir>/.gitignore` ignores the private key file (creating the file when needed). */
async function ignoreInGit(dir: string): Promise<'added' | 'present'> {
  const file = path.join(dir, '.gitignore')
  const text = await readFile(file, 'utf8').catch(() => '')
  const lines = text.split(/\r?\n/).map((line) => line.trim())
  if (lines.includes(PRIVATE_KEY_FILE) || lines.includes(`/${PRIVATE_KEY_FILE}`)) return 'present'
  const separator = text === '' || text.endsWith('\n') ? '' : '\n'
  await writeFile(
    file,
    `${text}${separator}# the live update signing key: a CI secret, never committed\n${PRIVATE_KEY_FILE}\n`,
  )
  return 'added'
}
