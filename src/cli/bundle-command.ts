import { mkdtemp, realpath, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createBundle } from '../core/bundle.js'
import { throwIfCancelled } from '../core/cancel.js'
import { readCapacitorConfig } from '../core/capacitor-config.js'
import { createInputs, normalizeVersion } from '../core/config/index.js'
import { inputError } from '../core/errors.js'
import { assertPublicKeyMatches, loadPrivateKey } from '../core/keys.js'
import { trackPath, untrackPath } from '../core/leftovers.js'
import { isInside } from '../core/paths.js'
import { parseFlags, type FlagSpecs } from './args.js'
import { required } from './files.js'
import { type CommandHelp, renderHelp } from './help.js'
import { looksLikePem, readFlagFile, warnKeyOnCommandLine } from './inputs.js'
import { type CliIo, UsageError } from './io.js'

const FLAGS: FlagSpecs = {
  'private-key': {
    type: 'string',
    value: 'FILE',
    aliases: ['private-key-file'],
    description: 'The private key file (.capgo_key_v2). Or set LIVE_UPDATE_PRIVATE_KEY to its PEM text.',
  },
  version: { type: 'string', value: 'SEMVER', description: 'The bundle version (a leading v is dropped).' },
  out: { type: 'string', value: 'FILE', description: 'Where to write the encrypted bundle (outside the web folder).' },
  'public-key': {
    type: 'string',
    value: 'FILE',
    description:
      "The app's public key file; default, the capacitor.config in the current folder. It must be the private key's pair.",
  },
  level: {
    type: 'string',
    value: '1-9',
    aliases: ['compression-level'],
    description: "Deflate level, 1 fastest to 9 smallest. Default: 6 (Capgo's CLI).",
  },
  'no-notify-check': { type: 'boolean', description: 'Allow a build in which no .js file calls notifyAppReady().' },
  'require-notify-app-ready': { type: 'boolean', description: 'The opposite of --no-notify-check (default true).' },
  json: { type: 'boolean', description: 'Print the result as one JSON line.' },
  'cache-dir': {
    type: 'string',
    value: 'DIR',
    description:
      'Reuse deflated files from earlier runs kept in DIR (checked against each file; the zip is byte-identical either way).',
  },
}

export const BUNDLE_HELP: CommandHelp = {
  usage: 'live-update bundle <webDir> --private-key FILE --version SEMVER --out FILE [options]',
  summary: 'Zip, encrypt and sign the web output into FILE, exactly as devices expect (Capgo encryption v2).',
  flags: FLAGS,
  examples: [
    'live-update bundle dist --private-key .capgo_key_v2 --version 1.2.3 --out /tmp/bundle.zip',
    'LIVE_UPDATE_PRIVATE_KEY="$(cat .capgo_key_v2)" live-update bundle dist --version v1.2.3 --out bundle.zip --json',
  ],
}

export async function bundleCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals, help } = parseFlags(argv, FLAGS, 'bundle')
  if (help) {
    io.stdout.write(renderHelp(BUNDLE_HELP))
    return 0
  }
  if (positionals.length !== 1) throw new UsageError(`bundle takes exactly one <webDir>: ${BUNDLE_HELP.examples[0]}`)
  const inputs = createInputs((name) =>
    name === 'compression-level' && typeof values.level === 'string' ? values.level : undefined,
  )
  const { pem, field } = await privateKeyOf(values['private-key'], io)
  const signing = loadPrivateKey(pem, field)
  if (typeof values['public-key'] === 'string') {
    assertPublicKeyMatches(signing, await readFlagFile(io.cwd, values['public-key'], 'public-key'), '{{public-key}}')
  } else {
    // Run from the app project, the key the app ships with must be this key's pair.
    const capacitor = await readCapacitorConfig(io.cwd)
    if (capacitor.publicKey)
      assertPublicKeyMatches(
        signing,
        capacitor.publicKey,
        `${path.basename(capacitor.file ?? 'capacitor.config')} plugins.CapacitorUpdater.publicKey`,
      )
  }
  const out = path.resolve(io.cwd, required(values.out, 'out', 'bundle'))
  const webDir = path.resolve(io.cwd, positionals[0])
  if (
    isInside(webDir, out) ||
    isInside(await realOrSelf(webDir), path.join(await realOrSelf(path.dirname(out)), path.basename(out)))
  ) {
    // The next run would zip this run's bundle into the app.
    throw inputError(
      'out',
      'input_out_inside_web_dir',
      `{{out}} ${out} is inside the web folder ${webDir}. Write the bundle somewhere else.`,
    )
  }
  await assertOutWritable(out)
  const version = normalizeVersion(required(values.version, 'version', 'bundle'))
  const compressionLevel = inputs.int(
    'compression-level',
    'input_compression_level_invalid',
    " (1 fastest, 9 smallest; 6 matches Capgo's CLI)",
  )
  const requireNotifyAppReady =
    values['no-notify-check'] === true ? false : values['require-notify-app-ready'] !== false
  const cacheDir = typeof values['cache-dir'] === 'string' ? path.resolve(io.cwd, values['cache-dir']) : undefined
  if (cacheDir && (isInside(webDir, cacheDir) || isInside(await realOrSelf(webDir), await realOrSelf(cacheDir)))) {
    // Its entries would be bundled, and grow with every run.
    throw inputError(
      'cache-dir',
      'input_cache_dir_inside_web_dir',
      `{{cache-dir}} ${cacheDir} is inside the web folder ${webDir}. Keep the cache somewhere else.`,
    )
  }
  // Spill files go to a folder of this run's own, removed whatever happens (a cancel included).
  const spillDir = await mkdtemp(path.join(os.tmpdir(), 'live-update-bundle-'))
  trackPath(spillDir)
  let result: Awaited<ReturnType<typeof createBundle>>
  try {
    result = await createBundle({
      webDir,
      version,
      signing,
      outFile: out,
      requireNotifyAppReady,
      compressionLevel,
      tempDir: spillDir,
      signal: io.signal,
      cacheDir,
    })
  } catch (error) {
    throwIfCancelled(io.signal)
    throw error
  } finally {
    await rm(spillDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    untrackPath(spillDir)
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

/** `--private-key FILE` (PEM text accepted with a warning), else LIVE_UPDATE_PRIVATE_KEY. */
async function privateKeyOf(
  flag: string | boolean | undefined,
  io: CliIo,
): Promise<{ pem: string; field: 'private-key' | 'private-key-file' }> {
  if (typeof flag === 'string' && flag !== '') {
    if (!looksLikePem(flag))
      return { pem: await readFlagFile(io.cwd, flag, 'private-key-file'), field: 'private-key-file' }
    warnKeyOnCommandLine(io)
    return { pem: flag, field: 'private-key' }
  }
  const fromEnv = io.env.LIVE_UPDATE_PRIVATE_KEY
  if (fromEnv) return { pem: fromEnv, field: 'private-key' }
  throw new UsageError(
    "missing --private-key FILE (or LIVE_UPDATE_PRIVATE_KEY). Run 'live-update bundle --help' for usage.",
  )
}

/** Checked before any work, so a bad --out is a bad-input error (exit 3), not a failure after zipping. */
async function assertOutWritable(out: string): Promise<void> {
  const folder = path.dirname(out)
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    throw inputError(
      'out',
      'input_out_dir_missing',
      `The folder of {{out}}, ${folder}, does not exist. Create it first or choose another {{out}} path.`,
    )
  }
  if ((await stat(out).catch(() => undefined))?.isDirectory()) {
    throw inputError(
      'out',
      'input_out_is_folder',
      `{{out}} ${out} is a folder. Give the path of the file to write, e.g. ${path.join(out, 'bundle.zip')}.`,
    )
  }
}

/** The real path (symlinks resolved) when the path exists, so a symlinked web folder is compared as itself. */
async function realOrSelf(file: string): Promise<string> {
  return realpath(file).catch(() => file)
}
