/**
 * Every input, parsed and checked once, before any side effect; shared by the action and the CLI.
 * Each adapter supplies a reader (action inputs, CLI flags and environment) and a RunContext.
 */
import path from 'node:path'
import { readCapacitorConfig, type CapacitorConfigInfo } from '../capacitor-config.js'
import type { NativeCompatibilityMode } from '../native/compare.js'
import type { RegistrarConfig } from '../register/index.js'
import type { StorageConfig } from '../storage/index.js'
import type { PublishOptions } from '../types.js'
import { resolveBuild, type BuildSettings } from './build.js'
import { previewVersion } from '../modes/preview.js'
import { assertWorkingDirectory, resolveAppId, resolveBundle, resolveChannel } from './bundle.js'
import { resolveReleaseConfig, type ReleaseConfig } from './release.js'
import type { RunContext } from './context.js'
import { createInputs, type InputReader, type Inputs } from './reader.js'
import { assertRegistrarAcceptsUrl, resolveRegistrar } from './registrar.js'
import { resolveReport, type ReportSettings } from './report.js'
import { resolveStorage } from './storage.js'

export type { RunContext } from './context.js'
export { createInputs, parseBoolean, type InputReader, type Inputs } from './reader.js'
export type { PrCommentMode, ReportSettings } from './report.js'
export { secretParts } from './secrets.js'
export { checkPluginPublicKey } from './public-key.js'
export { parseBuildTimeout } from './build.js'
export { checkPublicUrlTemplate } from './storage.js'
export { normalizeVersion } from './version.js'

export interface LiveUpdateConfig extends BuildSettings {
  workingDirectory: string
  /** Whether the action keeps the deflate cache in the Actions cache (`bundle-cache`). */
  bundleCache: boolean
  publish: PublishOptions
  /** Set when a pull request got no private key: only check the build (nothing signed or uploaded). */
  checkOnly?: { reason: string }
  storage: StorageConfig
  registrar: RegistrarConfig
  report: ReportSettings
  /** `mode`, the channel it works on, the rollout share, preview facts, the run (idempotent re-runs). */
  release: ReleaseConfig
  /** Values that must never be printed: handed to the log masker first. */
  secrets: string[]
}

export async function resolveConfig(readRaw: InputReader, context: RunContext): Promise<LiveUpdateConfig> {
  const inputs = createInputs(readRaw)
  const workingDirectory = path.resolve(context.cwd, inputs.read('working-directory')!)
  await assertWorkingDirectory(workingDirectory)
  const capacitor = await readCapacitorConfig(workingDirectory)
  const release = resolveReleaseConfig(inputs, context, undefined)
  if (release.mode !== 'publish') return resolveModeConfig(inputs, capacitor, workingDirectory, context, release)
  const resolved = await resolveBundle(inputs, capacitor, workingDirectory, context)
  // A preview publishes to its own channel, as a prerelease of the package version.
  const bundle = release.preview
    ? {
        ...resolved,
        channel: release.channel,
        version:
          release.version ?? previewVersion(resolved.version, release.preview.pullRequest, context.runNumber ?? '0'),
      }
    : resolved
  const dryRun = inputs.bool('dry-run')
  const checkOnly = bundle.privateKeyPem === undefined
  const { storage, objectKeyTemplate, sampleUrl } = await resolveStorage(inputs, {
    ...bundle,
    workingDirectory,
    dryRun: dryRun || checkOnly,
  })
  const registrar = resolveRegistrar(inputs, dryRun || checkOnly)
  if (!dryRun && !checkOnly) assertRegistrarAcceptsUrl(registrar, sampleUrl)
  const git = context.git
  return {
    workingDirectory,
    bundleCache: inputs.bool('bundle-cache'),
    ...resolveBuild(inputs),
    publish: {
      appId: bundle.appId,
      version: bundle.version,
      channel: bundle.channel,
      webDir: bundle.webDir,
      privateKeyPem: bundle.privateKeyPem ?? '',
      privateKeyField: bundle.privateKeyField,
      checkOnly: checkOnly || undefined,
      publicKeyPem: bundle.publicKeyPem,
      publicKeySource: bundle.publicKeySource,
      requireNotifyAppReady: bundle.requireNotifyAppReady,
      compressionLevel: bundle.compressionLevel,
      delta: inputs.bool('delta'),
      objectKeyTemplate,
      verifyUpload: inputs.bool('verify'),
      dryRun,
      tempDir: context.tempDir,
      link: git?.runUrl,
      comment: git?.sha ? `commit ${git.sha.slice(0, 12)}` : undefined,
      git: git ? { sha: git.sha, ref: git.ref, runUrl: git.runUrl, repository: git.repository } : undefined,
      native: {
        mode: inputs.choice<NativeCompatibilityMode>('native-compatibility'),
        workingDirectory,
        nativeVersion: inputs.read('native-version'),
      },
    },
    checkOnly: checkOnly ? { reason: checkOnlyReason(context) } : undefined,
    storage,
    registrar,
    report: resolveReport(inputs),
    release,
    secrets: [...new Set(inputs.secrets)],
  }
}

/** Promote, rollback and cleanup: the app, the channel, the storage and the server; nothing to build or sign. */
async function resolveModeConfig(
  inputs: Inputs,
  capacitor: CapacitorConfigInfo,
  workingDirectory: string,
  context: RunContext,
  release: ReleaseConfig,
): Promise<LiveUpdateConfig> {
  const appId = resolveAppId(inputs, capacitor, workingDirectory)
  if (release.mode !== 'cleanup') resolveChannel(inputs)
  // Nothing is uploaded, so no web folder needs protecting from the storage folder.
  const webDir = path.join(workingDirectory, '.live-update-no-web-folder')
  const version = release.version ?? ''
  const { storage, objectKeyTemplate } = await resolveStorage(inputs, {
    appId,
    version: version || '0.0.1',
    channel: release.channel,
    webDir,
    workingDirectory,
    dryRun: false,
  })
  const registrar = resolveRegistrar(inputs, false)
  return {
    workingDirectory,
    // Nothing is bundled.
    bundleCache: false,
    ...resolveBuild(inputs),
    buildCommand: undefined,
    publish: {
      appId,
      version,
      channel: release.channel,
      webDir,
      privateKeyPem: '',
      requireNotifyAppReady: false,
      objectKeyTemplate,
      verifyUpload: false,
      dryRun: false,
      tempDir: context.tempDir,
    },
    storage,
    registrar,
    report: resolveReport(inputs),
    release,
    secrets: [...new Set(inputs.secrets)],
  }
}

function checkOnlyReason(context: RunContext): string {
  const withheld = context.pullRequest?.secretsWithheld
  if (withheld) return `No private key: this is ${withheld}, which GitHub gives no secrets`
  // A pull request of the same repository normally gets its secrets: say what to check.
  return 'No private key on this pull request (forks and Dependabot get no secrets; otherwise check the secret given to private-key)'
}
