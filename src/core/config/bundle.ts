/** The bundle's inputs: app id, web folder, version, channel, keys, zip settings. */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { CapacitorConfigInfo } from '../capacitor-config.js'
import { inputError } from '../errors.js'
import type { InputName } from '../inputs/index.js'
import { secretParts } from './secrets.js'
import type { Inputs } from './reader.js'
import { resolveVersion } from './version.js'
import type { RunContext } from './context.js'
import { checkPluginPublicKey } from './public-key.js'

export interface BundleSettings {
  appId: string
  version: string
  versionSource: string
  channel: string
  webDir: string
  /** Undefined only on a pull request that got no secrets (check only: nothing signed or uploaded). */
  privateKeyPem?: string
  /** The field the key came from, for messages about its content. */
  privateKeyField: InputName
  publicKeyPem?: string
  publicKeySource?: string
  requireNotifyAppReady: boolean
  compressionLevel: number
}

// Reverse-domain, first segment starting with a letter (as Android package names must): `1.2` is no id.
const APP_ID = /^[a-z][\w-]*(\.[\w-]+)+$/i
// Starts with a letter or digit: `.` and `..` (path segments in stores and records) are no channels.
const CHANNEL = /^[a-z0-9][\w.-]{0,63}$/i

export async function resolveBundle(
  inputs: Inputs,
  capacitor: CapacitorConfigInfo,
  workingDirectory: string,
  run: Pick<RunContext, 'ref' | 'pullRequest'>,
): Promise<BundleSettings> {
  const appId = resolveAppId(inputs, capacitor, workingDirectory)
  const webDirInput = inputs.read('path') ?? capacitor.webDir
  if (!webDirInput)
    throw inputError(
      'path',
      'input_path_missing',
      `Set {{path}} to the web output folder (e.g. dist): no webDir was found in a capacitor.config in ${workingDirectory}.`,
    )
  const { version, source: versionSource } = await resolveVersion(inputs, run.ref, workingDirectory)
  const channel = resolveChannel(inputs)
  const key = await resolvePrivateKey(inputs, workingDirectory, Boolean(run.pullRequest))
  const explicitPublicKey = inputs.read('public-key')
  const publicKeySource = explicitPublicKey
    ? '{{public-key}}'
    : `${capacitor.file ? path.basename(capacitor.file) : 'capacitor.config'} plugins.CapacitorUpdater.publicKey`
  const publicKeyPem = explicitPublicKey ?? capacitor.publicKey
  if (publicKeyPem !== undefined) checkPluginPublicKey(publicKeyPem, publicKeySource)
  return {
    appId,
    version,
    versionSource,
    channel,
    webDir: path.resolve(workingDirectory, webDirInput),
    ...key,
    publicKeyPem,
    publicKeySource,
    requireNotifyAppReady: inputs.bool('require-notify-app-ready'),
    compressionLevel: inputs.int(
      'compression-level',
      'input_compression_level_invalid',
      " (1 fastest, 9 smallest; 6 matches Capgo's CLI)",
    ),
  }
}

export function resolveAppId(inputs: Inputs, capacitor: CapacitorConfigInfo, workingDirectory: string): string {
  const appId = inputs.read('app-id') ?? capacitor.appId
  if (!appId) {
    // No config file at all usually means no checkout, or the wrong folder.
    const why = capacitor.file
      ? `${path.basename(capacitor.file)} in ${workingDirectory} has no appId`
      : `there is no capacitor.config in ${workingDirectory} (check out the repository first, or point {{working-directory}} at the Capacitor project)`
    throw inputError('app-id', 'input_app_id_missing', `Set {{app-id}} (e.g. com.example.app): ${why}.`)
  }
  if (!APP_ID.test(appId)) {
    throw inputError(
      'app-id',
      'input_app_id_invalid',
      `{{app-id}} must be a reverse-domain id whose first part starts with a letter, such as com.example.app; got '${appId}'.`,
    )
  }
  return appId
}

export function resolveChannel(inputs: Inputs): string {
  const channel = inputs.read('channel')!
  if (!CHANNEL.test(channel)) {
    throw inputError(
      'channel',
      'input_channel_invalid',
      `{{channel}} may hold letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit; got '${channel}'.`,
    )
  }
  return channel
}

/** The working folder must exist: otherwise every later message (no appId...) misleads. */
export async function assertWorkingDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw inputError(
      'working-directory',
      'input_working_directory_missing',
      `{{working-directory}} ${dir} is not a folder. Check out the repository first (actions/checkout) and point {{working-directory}} at the Capacitor project.`,
    )
  }
}

async function resolvePrivateKey(
  inputs: Inputs,
  cwd: string,
  onPullRequest: boolean,
): Promise<{ privateKeyPem?: string; privateKeyField: InputName }> {
  const text = inputs.secret('private-key')
  const file = inputs.read('private-key-file')
  if (text && file) {
    throw inputError(
      'private-key',
      'input_private_key_conflict',
      'Both {{private-key}} and {{private-key-file}} are set: give the key one way only, so it is clear which key signs.',
    )
  }
  let pem = text
  if (file) {
    const absolute = path.resolve(cwd, file)
    try {
      pem = await readFile(absolute, 'utf8')
    } catch {
      throw inputError(
        'private-key-file',
        'input_file_unreadable',
        `Cannot read {{private-key-file}} '${file}' (${absolute}). Check the path.`,
      )
    }
    inputs.secrets.push(...secretParts(pem))
  }
  const field: InputName = file ? 'private-key-file' : 'private-key'
  if (!pem?.trim()) {
    if (onPullRequest) return { privateKeyField: field }
    throw inputError(
      'private-key',
      'input_private_key_missing',
      'No private key: set {{private-key}} to the PEM text of .capgo_key_v2 (kept in the CI secret LIVE_UPDATE_PRIVATE_KEY), or {{private-key-file}} to its path.',
    )
  }
  if (!pem.includes('-----BEGIN') && isBase64Of(pem, '-----BEGIN')) {
    // Single-line CI variables often hold the key base64-encoded: say so rather than "not PEM".
    throw inputError(
      field,
      'input_private_key_base64',
      `{{${field}}} holds base64-encoded text of a PEM key, not the PEM itself. Store the .capgo_key_v2 file as it is, or decode it first (base64 -d > key.pem) and give that file.`,
    )
  }
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]+-----/g)?.length ?? 0
  if (blocks > 1) {
    throw inputError(
      field,
      'input_private_key_ambiguous',
      `{{${field}}} holds ${blocks} PEM blocks; it must hold exactly one private key (the whole .capgo_key_v2 file, nothing else).`,
    )
  }
  return { privateKeyPem: pem, privateKeyField: field }
}

/** True when `text` is base64 whose decoded bytes start with `prefix` (whitespace allowed). */
function isBase64Of(text: string, prefix: string): boolean {
  const compact = text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return false
  return Buffer.from(compact, 'base64').toString('utf8').trimStart().startsWith(prefix)
}
