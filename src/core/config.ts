import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { readCapacitorConfig } from './capacitor-config.js'
import { inputError } from './errors.js'
import type { RegistrarConfig } from './register/index.js'
import type { StorageConfig } from './storage/index.js'
import type { PublishOptions } from './types.js'
import { parseHttpUrl } from './url.js'
import { assertSemver, versionFromTagRef } from './version.js'

/** Reads one input by its action name (`s3-bucket`); empty string or undefined when unset. */
export type InputReader = (name: string) => string | undefined

export type PrCommentMode = 'auto' | 'always' | 'never'

/** Every input, parsed and validated, before any side effect. Shared by the action and the CLI. */
export interface LiveUpdateConfig {
  workingDirectory: string
  buildCommand?: string
  /** How long the build may run before its process group is ended. */
  buildTimeoutMs: number
  publish: PublishOptions
  storage: StorageConfig
  registrar: RegistrarConfig
  report: { summary: boolean; prComment: PrCommentMode; githubToken?: string }
  /** Values that must never be printed: handed to the log masker first. */
  secrets: string[]
}

export interface ConfigContext {
  cwd: string
  env: NodeJS.ProcessEnv
}

/** Defaults, the same as action.yml's (a bare `node dist/index.js` gets none from the runner). */
export const INPUT_DEFAULTS: Record<string, string> = {
  'working-directory': '.',
  'build-timeout-minutes': '30',
  channel: 'production',
  storage: 's3',
  'object-key': '{appId}/{version}/{hash}.zip',
  'cache-control': 'public, max-age=31536000, immutable',
  server: 'capgo',
  'capgo-api-url': 'https://api.capgo.app',
  verify: 'true',
  'dry-run': 'false',
  summary: 'true',
  'pr-comment': 'auto',
  'require-notify-app-ready': 'true',
  'compression-level': '6',
  's3-force-path-style': 'false',
  's3-region': 'us-east-1',
  's3-checksum': 'auto',
  's3-part-size-mib': '8',
}

const APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i
const CHANNEL = /^[\w.-]{1,64}$/

export async function resolveConfig(readRaw: InputReader, context: ConfigContext): Promise<LiveUpdateConfig> {
  const read = (name: string): string | undefined => {
    const value = readRaw(name)?.trim()
    return value ? value : INPUT_DEFAULTS[name]
  }
  const secrets: string[] = []
  const secret = (name: string): string | undefined => {
    const value = readRaw(name)?.trim()
    if (value) secrets.push(...secretParts(value))
    return value || undefined
  }
  const bool = (name: string): boolean => parseBoolean(read(name) ?? 'false', name)
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const value = read(name) as T
    if (!allowed.includes(value)) throw inputError(name, 'input_choice_invalid', `'${name}' must be one of ${allowed.join(', ')}; got '${value}'.`)
    return value
  }

  const workingDirectory = path.resolve(context.cwd, read('working-directory')!)
  const capacitor = await readCapacitorConfig(workingDirectory)
  const appId = read('app-id') ?? capacitor.appId
  if (!appId) throw inputError('app-id', 'input_app_id_missing', `Set 'app-id' (e.g. com.example.app): no appId was found in a capacitor.config in ${workingDirectory}.`)
  if (!APP_ID.test(appId)) throw inputError('app-id', 'input_app_id_invalid', `'app-id' must be a reverse-domain id such as com.example.app; got '${appId}'.`)
  const webDirInput = read('path') ?? capacitor.webDir
  if (!webDirInput) throw inputError('path', 'input_path_missing', `Set 'path' to the web output folder (e.g. dist): no webDir was found in a capacitor.config in ${workingDirectory}.`)
  const version = assertSemver(read('version') ?? versionFromTagRef(context.env.GITHUB_REF) ?? (await packageVersion(workingDirectory)), 'version')
  const channel = read('channel')!
  if (!CHANNEL.test(channel)) throw inputError('channel', 'input_channel_invalid', `'channel' may hold letters, digits, '.', '_' and '-' (at most 64); got '${channel}'.`)

  const privateKeyPem = secret('private-key') ?? (await readKeyFile(read('private-key-file'), workingDirectory, secrets))
  if (!privateKeyPem) throw inputError('private-key', 'input_private_key_missing', "Set 'private-key' to the PEM text of .capgo_key_v2 from a secret, e.g. private-key: ${{ secrets.CAPGO_PRIVATE_KEY }}.")
  const explicitPublicKey = read('public-key')
  const publicKeyPem = explicitPublicKey ?? capacitor.publicKey
  const publicKeySource = explicitPublicKey ? "the 'public-key' input" : `${capacitor.file ? path.basename(capacitor.file) : 'capacitor.config'} plugins.CapacitorUpdater.publicKey`

  const dryRun = bool('dry-run')
  const storage = resolveStorage(read, secret, bool, oneOf, workingDirectory, dryRun)
  const registrar = resolveRegistrar(read, secret, oneOf, dryRun)
  const runUrl = context.env.GITHUB_SERVER_URL && context.env.GITHUB_REPOSITORY && context.env.GITHUB_RUN_ID
    ? `${context.env.GITHUB_SERVER_URL}/${context.env.GITHUB_REPOSITORY}/actions/runs/${context.env.GITHUB_RUN_ID}`
    : undefined

  return {
    workingDirectory,
    buildCommand: read('build-command'),
    buildTimeoutMs: parseBuildTimeout(read('build-timeout-minutes')!),
    publish: {
      appId,
      version,
      channel,
      webDir: path.resolve(workingDirectory, webDirInput),
      privateKeyPem,
      publicKeyPem,
      publicKeySource,
      requireNotifyAppReady: bool('require-notify-app-ready'),
      compressionLevel: parseLevel(read('compression-level')!),
      objectKeyTemplate: read('object-key')!,
      verifyUpload: bool('verify'),
      dryRun,
      tempDir: context.env.RUNNER_TEMP || undefined,
      link: runUrl,
      comment: context.env.GITHUB_SHA ? `commit ${context.env.GITHUB_SHA.slice(0, 12)}` : undefined,
      git: { sha: context.env.GITHUB_SHA, ref: context.env.GITHUB_REF, runUrl, repository: context.env.GITHUB_REPOSITORY },
    },
    storage,
    registrar,
    report: { summary: bool('summary'), prComment: oneOf('pr-comment', ['auto', 'always', 'never'] as const), githubToken: secret('github-token') },
    secrets: [...new Set(secrets)],
  }
}

function resolveStorage(
  read: (name: string) => string | undefined,
  secret: (name: string) => string | undefined,
  bool: (name: string) => boolean,
  oneOf: <T extends string>(name: string, allowed: readonly T[]) => T,
  workingDirectory: string,
  dryRun: boolean,
): StorageConfig {
  const kind = oneOf('storage', ['s3', 'dir'] as const)
  const publicUrlTemplate = read('public-url')
  if (publicUrlTemplate && !publicUrlTemplate.includes('{key}')) {
    throw inputError('public-url', 'input_public_url_invalid', `'public-url' must contain {key}, e.g. https://updates.example.com/{key}; got '${publicUrlTemplate}'.`)
  }
  if (kind === 'dir') {
    const dir = read('storage-dir')
    if (!dir) throw inputError('storage-dir', 'input_storage_dir_missing', "With 'storage: dir', set 'storage-dir' to the folder that receives bundles.")
    return { kind: 'dir', dir: path.resolve(workingDirectory, dir), publicUrlTemplate }
  }
  const bucket = read('s3-bucket')
  // A dry run uploads nothing: it needs no bucket (pull requests run without storage secrets).
  if (!bucket && dryRun) return { kind: 'none' }
  if (!bucket) throw inputError('s3-bucket', 'input_s3_bucket_missing', "With 'storage: s3', set 's3-bucket' to your bucket's name.")
  const endpoint = read('s3-endpoint')
  if (endpoint) parseHttpUrl(endpoint, 's3-endpoint', 'input_s3_endpoint_invalid', 'https://<account>.r2.cloudflarestorage.com')
  const accessKeyId = secret('s3-access-key-id')
  const secretAccessKey = secret('s3-secret-access-key')
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw inputError(accessKeyId ? 's3-secret-access-key' : 's3-access-key-id', 'input_s3_credentials_incomplete', "Set both 's3-access-key-id' and 's3-secret-access-key', or neither (to use the standard AWS credentials of the job, e.g. from aws-actions/configure-aws-credentials).")
  }
  const partSize = Number(read('s3-part-size-mib'))
  if (!Number.isInteger(partSize) || partSize < 5 || partSize > 5120) {
    throw inputError('s3-part-size-mib', 'input_part_size_invalid', "'s3-part-size-mib' must be a whole number from 5 to 5120 (S3's multipart limits).")
  }
  return {
    kind: 's3',
    bucket,
    // us-east-1 works everywhere: R2 treats it as 'auto', and MinIO, Swift and Ceph expect it.
    region: read('s3-region') ?? 'us-east-1',
    endpoint,
    forcePathStyle: bool('s3-force-path-style'),
    accessKeyId,
    secretAccessKey,
    acl: read('s3-acl'),
    cacheControl: read('cache-control'),
    publicUrlTemplate,
    partSizeMiB: partSize,
    checksumMode: oneOf('s3-checksum', ['auto', 'when_required', 'when_supported'] as const),
  }
}

function resolveRegistrar(
  read: (name: string) => string | undefined,
  secret: (name: string) => string | undefined,
  oneOf: <T extends string>(name: string, allowed: readonly T[]) => T,
  dryRun: boolean,
): RegistrarConfig {
  const kind = oneOf('server', ['capgo', 'webhook', 'none'] as const)
  if (kind === 'capgo') {
    const apiKey = secret('capgo-api-key')
    if (!apiKey && !dryRun) throw inputError('capgo-api-key', 'input_capgo_api_key_missing', "With 'server: capgo', set 'capgo-api-key' from a secret (a Capgo API key with upload rights), or use 'server: none' to upload only.")
    const apiUrl = read('capgo-api-url')!
    parseHttpUrl(apiUrl, 'capgo-api-url', 'input_capgo_api_url_invalid', 'https://api.capgo.app')
    return { kind: 'capgo', apiUrl: apiUrl.replace(/\/+$/, ''), apiKey: apiKey ?? '' }
  }
  if (kind === 'webhook') {
    const url = read('webhook-url')
    if (!url) throw inputError('webhook-url', 'input_webhook_url_invalid', "With 'server: webhook', set 'webhook-url' to your update server's endpoint (https://...).")
    parseHttpUrl(url, 'webhook-url', 'input_webhook_url_invalid', 'https://updates.example.com/hooks/live-update')
    const webhookSecret = secret('webhook-secret')
    if (!webhookSecret && !dryRun) throw inputError('webhook-secret', 'input_webhook_secret_missing', "With 'server: webhook', set 'webhook-secret' from a secret: the receiver uses it to check the X-Signature-256 header.")
    return { kind: 'webhook', url, secret: webhookSecret ?? '' }
  }
  return { kind: 'none' }
}

/**
 * What the log masker must hide for one secret value: the value itself and each of its lines
 * (trimmed, longer than 8 characters), so no line of a PEM can show on its own. Lines are split at
 * real newlines and at the literal `\n` some secret stores keep (the key loader accepts both).
 */
export function secretParts(value: string): string[] {
  const lines = value.split(/\r?\n|\\r\\n|\\n/).map((line) => line.trim()).filter((line) => line.length > 8)
  return [value, ...lines]
}

/** Minutes, fractions allowed (0.5 = 30 s), up to GitHub's 6-hour job limit. */
export function parseBuildTimeout(value: string): number {
  const minutes = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(minutes > 0) || minutes > 360) {
    throw inputError('build-timeout-minutes', 'input_build_timeout_invalid', `'build-timeout-minutes' must be a number of minutes above 0 and at most 360 (e.g. 30); got '${value}'.`)
  }
  return Math.round(minutes * 60000)
}

export function parseLevel(value: string, input = 'compression-level'): number {
  const level = Number(value)
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw inputError(input, 'input_compression_level_invalid', `'${input}' must be a whole number from 1 (fastest) to 9 (smallest); got '${value}'. 6 matches Capgo's CLI.`)
  }
  return level
}

export function parseBoolean(value: string, name: string): boolean {
  const normalized = value.trim().toLowerCase()
  if (['true', 'yes', '1', 'on'].includes(normalized)) return true
  if (['false', 'no', '0', 'off'].includes(normalized)) return false
  throw inputError(name, 'input_boolean_invalid', `'${name}' must be true or false; got '${value}'.`)
}

async function packageVersion(dir: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: string }
    if (pkg.version) return pkg.version
  } catch {
    // fall through to the error below
  }
  throw inputError('version', 'input_version_missing', "Set 'version', push a tag like v1.2.3, or give package.json a version.")
}

async function readKeyFile(file: string | undefined, cwd: string, secrets: string[]): Promise<string | undefined> {
  if (!file) return undefined
  try {
    const text = await readFile(path.resolve(cwd, file), 'utf8')
    secrets.push(...secretParts(text))
    return text
  } catch {
    throw inputError('private-key-file', 'input_file_unreadable', `Cannot read 'private-key-file' ${file}. Check the path.`)
  }
}
