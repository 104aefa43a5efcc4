import { mkdtemp, rm } from 'node:fs/promises'
import { createReadStream } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBundle } from './bundle.js'
import { trackPath, untrackPath } from './leftovers.js'
import { CancelledError, cancellableFetch, cancellationOf, isCancelled, throwIfCancelled } from './cancel.js'
import { createBundleEncryptor } from './crypto.js'
import { loadDeltaIndex, saveDeltaIndex, type LoadedIndex } from './delta/index-file.js'
import { publishDelta, removeDelta, type DeltaResult } from './delta/publish-delta.js'
import { checkManifestNames } from './delta/rules.js'
import { verifyDelta } from './delta/verify-delta.js'
import { assertSignedForDevices } from './device-gates.js'
import { describeError, LiveUpdateError, STAGE_EXIT_CODE, type ExitCode, type Stage } from './errors.js'
import { assertPublicKeyMatches, createKeyPair, loadPrivateKey } from './keys.js'
import { type ReleaseReader, runReleaseGuard } from './native/guard.js'
import { commitPublish, planPublish, type PublishPlan, type PublishReleaseOptions } from './modes/publish-records.js'
import { mightBeRegistered } from './register/index.js'
import { collectChanges } from './report/collect.js'
import { renderObjectKey } from './storage/object-key.js'
import type {
  BundleResult,
  BundleStore,
  DeltaManifestInfo,
  Fetch,
  Logger,
  PublishOptions,
  PublishResult,
  Registrar,
  StageTiming,
} from './types.js'
import { verifyBundleOrThrow } from './verify.js'

export interface PublishDependencies {
  store: BundleStore
  registrar: Registrar
  logger: Logger
  /** Used to download the upload as a device would. */
  fetch?: Fetch
  /** Wraps each stage (the action uses core.group); must call and return `work()`. */
  runStage?: <T>(name: Stage, work: () => Promise<T>) => Promise<T>
  now?: () => number
  /**
   * Cancellation (the adapters abort it on SIGINT/SIGTERM): every stage stops, the upload in
   * flight is aborted, an unregistered upload is deleted, the work folder removed; the publish then
   * fails with a CancelledError. A registration in flight counts as an ambiguous outcome.
   */
  signal?: AbortSignal
  /** The channel's release records (native baseline, previous release for "what changed"). */
  releases?: ReleaseReader
  /** Release records and staged rollout (src/core/modes/publish-records.ts); absent: none kept. */
  release?: PublishReleaseOptions
}

/** Where a failed publish stopped, and the timings up to there: the report shows both. */
export class PublishFailure extends Error {
  constructor(
    readonly stage: Stage,
    readonly timings: StageTiming[],
    readonly bundle: BundleResult | undefined,
    override readonly cause: unknown,
  ) {
    super(describeError(cause), { cause })
    this.name = 'PublishFailure'
  }

  get exitCode(): ExitCode {
    return STAGE_EXIT_CODE[this.stage]
  }
}

/**
 * The whole pipeline, free of GitHub: keys -> bundle -> lookup -> upload -> verify -> register.
 * Never registers an upload that was not verified (unless verification is switched off),
 * and never leaves an uploaded object behind when the publish does not end registered.
 */
export async function publish(options: PublishOptions, deps: PublishDependencies): Promise<PublishResult> {
  const now = deps.now ?? Date.now
  const timings: StageTiming[] = []
  let bundle: BundleResult | undefined
  // Checks that run before the first stage are about inputs.
  let currentStage: Stage = 'input'
  let keptUpload: string | undefined
  const { signal } = deps
  const stage = async <T>(name: Stage, work: () => Promise<T>): Promise<T> => {
    throwIfCancelled(signal)
    currentStage = name
    const started = now()
    try {
      return deps.runStage ? await deps.runStage(name, work) : await work()
    } catch (error) {
      // However a stage noticed the abort (AbortError, a failed download, a TransportFailure), it is a cancel.
      if (signal?.aborted) throw cancellationOf(signal)
      throw error
    } finally {
      timings.push({ stage: name, ms: now() - started })
    }
  }
  const workDir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'live-update-'))
  trackPath(workDir)
  try {
    // Before any work: a version devices refuse, or native code the installed apps lack.
    const guard = await runReleaseGuard({
      version: options.version,
      channel: options.channel,
      options: options.native,
      reader: deps.releases,
      logger: deps.logger,
    })
    const signing = await stage('keys', async () => {
      if (options.checkOnly) {
        // No key (a pull request without secrets): a throwaway key makes the same bytes and sizes and
        // lets the device-like check run; nothing signed with it leaves this run.
        deps.logger.info(
          'No private key: checking the build with a throwaway key; nothing is signed for devices or uploaded.',
        )
        return loadPrivateKey(createKeyPair().privateKeyPem)
      }
      const key = loadPrivateKey(options.privateKeyPem, options.privateKeyField)
      if (options.publicKeyPem)
        assertPublicKeyMatches(key, options.publicKeyPem, options.publicKeySource ?? 'public-key')
      deps.logger.info(`Signing key ok (key_id ${key.keyId})`)
      return key
    })
    const encryptedFile = path.join(workDir, 'bundle.zip.enc')
    // Delta files are sealed with the zip's own key and IV (a device gets one session key per
    // release), and every delta release of the app reuses the key of its index, so unchanged
    // files keep their objects (see delta/index-file.ts for why that costs no secrecy).
    const deltaIndex: LoadedIndex =
      options.delta && !options.dryRun
        ? await stage('bundle', () => loadDeltaIndex(deps.store, options.appId, signing, deps.logger, deps.fetch))
        : {}
    // createBundleEncryptor draws the key, then the IV.
    const reused = deltaIndex.aesKey && deltaIndex.iv ? [deltaIndex.aesKey, deltaIndex.iv] : undefined
    const encryptor = createBundleEncryptor(signing, reused ? () => Buffer.from(reused.shift() as Buffer) : undefined)
    bundle = await stage('bundle', async () => {
      const result = await createBundle({
        encryptor,
        webDir: options.webDir,
        version: options.version,
        signing,
        outFile: encryptedFile,
        requireNotifyAppReady: options.requireNotifyAppReady,
        compressionLevel: options.compressionLevel,
        tempDir: workDir,
        signal,
        cacheDir: options.cacheDir,
      })
      deps.logger.info(
        `Bundled ${result.fileCount} files: zip ${result.zipSize} bytes, encrypted ${result.encryptedSize} bytes, sha256 ${result.sha256}`,
      )
      if (result.cache)
        deps.logger.info(
          `Deflate cache: ${result.cache.hits} reused, ${result.cache.misses} compressed${result.cache.rejected ? `, ${result.cache.rejected} cached entries failed their check and were recompressed` : ''}`,
        )
      // Names a delta manifest cannot carry are refused here, before anything is uploaded.
      if (options.delta) checkManifestNames(result.files.map((file) => file.name))
      return result
    })
    const made = bundle
    const changes =
      guard && deps.releases ? collectChanges({ channel: options.channel, bundle: made, guard }) : undefined
    const base = {
      appId: options.appId,
      version: options.version,
      channel: options.channel,
      bundle: made,
      registrar: deps.registrar.kind,
      verified: false,
      timings,
      native: guard && {
        fingerprint: guard.fingerprint,
        verdict: guard.verdict,
        baseline: guard.baseline,
        minNativeVersion: guard.minNativeVersion,
      },
      changes,
    }

    if (options.dryRun || options.checkOnly) {
      await stage('verify', () => verifyAsDevice(encryptedFile, made, signing.publicKeyPem, deps, workDir))
      if (options.checkOnly) {
        deps.logger.info(
          'Checked: the build zips and its layout passes the device check. Signing and upload were skipped (no private key).',
        )
        return { ...base, status: 'checked' }
      }
      deps.logger.info('Dry run: the bundle was made and verified locally; nothing uploaded or registered.')
      return { ...base, status: 'dry-run', verified: true }
    }

    const releaseOptions = deps.release
    let plan: PublishPlan | undefined
    if (releaseOptions) plan = await stage('records', () => planPublish(releaseOptions, options.appId, options.channel))
    const rollout = plan && plan.percentage < 100 ? { percentage: plan.percentage } : undefined
    // What changed says how the release reaches devices: known only now, from the channel record.
    if (changes && plan && rollout)
      changes.rollout = { percentage: plan.percentage, stableVersion: plan.previous?.stable?.version }
    const selfAssign = releaseOptions?.preview ? true : undefined
    const commit = async (
      objectKey?: string,
      bundleUrl?: string,
      registered?: { url?: string; sessionKey?: string },
      manifest?: DeltaManifestInfo,
    ) =>
      releaseOptions && plan
        ? stage('records', () =>
            commitPublish(releaseOptions, plan, {
              appId: options.appId,
              version: options.version,
              channel: options.channel,
              webDir: options.webDir,
              bundle: made,
              objectKey,
              bundleUrl,
              git: options.git,
              registered: registered && {
                ...registered,
                objectKeyTemplate: options.objectKeyTemplate,
                store: deps.store,
              },
              manifest,
              native: guard && {
                fingerprint: guard.fingerprint,
                minNativeVersion: guard.minNativeVersion,
                baseline: guard.baseline,
              },
            }),
          )
        : undefined

    const existing = await stage('lookup', () => deps.registrar.lookup(options.appId, options.version))
    if (existing.found) {
      if (existing.checksum !== made.checksum) throw versionTaken(options)
      await stage('register', () =>
        deps.registrar.pointChannel(options.appId, options.channel, options.version, rollout, selfAssign),
      )
      deps.logger.info(
        `Version ${options.version} is already published with this exact content; channel '${options.channel}' points at it. Nothing uploaded.`,
      )
      const release = await commit(undefined, undefined, { url: existing.externalUrl, sessionKey: existing.sessionKey })
      return {
        ...base,
        status: 'already-published',
        bundleId: existing.bundleId,
        bundleUrl: existing.externalUrl,
        release,
      }
    }

    const objectKey = renderObjectKey(options.objectKeyTemplate, {
      appId: options.appId,
      version: options.version,
      channel: options.channel,
      hash: made.encryptedSha256.slice(0, 16),
    })
    const stored = await stage('upload', () =>
      deps.store.put(
        objectKey,
        { size: made.encryptedSize, open: () => createReadStream(encryptedFile, { highWaterMark: 1 << 20 }) },
        { signal },
      ),
    )
    deps.logger.info(`Uploaded ${stored.size} bytes to ${deps.store.describe()} as ${stored.key}`)

    let registering = false
    let delta: DeltaResult | undefined
    try {
      if (options.delta) {
        delta = await stage('upload', () =>
          publishDelta({
            appId: options.appId,
            webDir: options.webDir,
            version: options.version,
            signing,
            seal: encryptor.sealFile,
            sessionKey: made.sessionKey,
            store: deps.store,
            objectKey: stored.key,
            logger: deps.logger,
            index: deltaIndex.index,
          }),
        )
      }
      if (options.verifyUpload) {
        await stage('verify', async () => {
          const storedSize = await deps.store.size(stored.key)
          if (storedSize !== made.encryptedSize) {
            throw new LiveUpdateError(
              'verify_size_mismatch',
              `The stored object ${stored.key} has ${storedSize ?? 'no'} bytes; ${made.encryptedSize} were uploaded.`,
              { stage: 'verify', step: 'download' },
            )
          }
          await verifyAsDevice(stored.url, made, signing.publicKeyPem, deps, workDir)
          deps.logger.info(
            `Verified ${stored.url} as a device would: downloaded, decrypted, checksum and zip layout ok`,
          )
          if (delta) {
            const checked = await verifyDelta({
              manifest: delta.manifest,
              version: options.version,
              manifestSignature: delta.manifestSignature,
              sessionKey: made.sessionKey,
              publicKeyPem: signing.publicKeyPem,
              fetch: deps.fetch,
              only: delta.uploadedNames,
            })
            deps.logger.info(
              `Verified the ${checked.downloaded} new delta files as a device would (downloaded, decrypted, decompressed, hashed) and the manifest signature over all ${checked.files}`,
            )
          }
        })
      }
      if (delta) await stage('upload', () => saveDeltaIndex(deps.store, options.appId, (delta as DeltaResult).index))
      const manifest = delta && {
        key: delta.manifestKey,
        url: delta.manifestUrl,
        signature: delta.manifestSignature,
        entries: delta.manifest.length,
      }
      // Past this line a cancel may leave the server referencing the upload: it is then kept.
      throwIfCancelled(signal)
      assertSignedForDevices(made)
      registering = true
      const registered = await stage('register', () =>
        deps.registrar.register({
          appId: options.appId,
          version: options.version,
          channel: options.channel,
          externalUrl: stored.url,
          checksum: made.checksum,
          sessionKey: made.sessionKey,
          keyId: made.keyId,
          sha256: made.sha256,
          signature: made.signature,
          minNativeVersion: guard?.minNativeVersion,
          zipSize: made.zipSize,
          encryptedSize: made.encryptedSize,
          link: options.link,
          comment: options.comment,
          git: options.git,
          manifest,
          rollout,
          selfAssign,
        }),
      )
      if (registered.status === 'already-registered') {
        // Another run registered this exact content first: ours is a duplicate, remove it.
        await deps.store.delete(stored.key)
        if (delta) await removeDelta(deps.store, delta.keys, deps.logger)
        deps.logger.info(
          `Another run registered version ${options.version} with the same content first; removed the duplicate upload.`,
        )
        const release = await commit()
        return {
          ...base,
          status: 'already-published',
          bundleId: registered.bundleId,
          bundleUrl: registered.externalUrl,
          release,
        }
      }
      const deltaReport = manifest &&
        delta && {
          ...manifest,
          uploadedBytes: delta.uploadedBytes,
          compressedFiles: delta.compressedFiles,
          reusedFiles: delta.reusedFiles,
        }
      const release = await commit(stored.key, stored.url, undefined, manifest)
      return {
        ...base,
        status: 'published',
        verified: options.verifyUpload,
        objectKey: stored.key,
        bundleUrl: stored.url,
        bundleId: registered.bundleId,
        delta: deltaReport,
        release,
      }
    } catch (error) {
      // Delta objects share the zip's fate: kept when the server may reference the release.
      if (!(await removeUnregistered(error, registering, stored.key, deps))) keptUpload = stored.key
      else if (delta) await removeDelta(deps.store, delta.keys, deps.logger)
      throw error
    }
  } catch (error) {
    if (isCancelled(error)) {
      const upload = keptUpload ? `the upload ${keptUpload} was kept (see the log)` : 'nothing uploaded was kept'
      const stoppedAt = currentStage as Stage
      const registered = stoppedAt === 'register' ? 'the registration outcome is unknown' : 'nothing was registered'
      const detail = `stopped during the ${stoppedAt} stage; ${registered}, ${upload}, the work folder was removed`
      throw new PublishFailure(stoppedAt, timings, bundle, new CancelledError(error.signalName, stoppedAt, detail))
    }
    throw new PublishFailure(failedStage(currentStage, error), timings, bundle, error)
  } finally {
    // Retries: a cancelled bundle stage may still be closing its files in the folder.
    await rm(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    untrackPath(workDir)
  }
}

/** An input mistake found late (a registrar's missing key) is still an input mistake. */
function failedStage(current: Stage, error: unknown): Stage {
  return error instanceof LiveUpdateError && error.stage === 'input' ? 'input' : current
}

function versionTaken(options: PublishOptions): LiveUpdateError {
  return new LiveUpdateError(
    'register_version_conflict',
    `Version ${options.version} of ${options.appId} is already registered with different content. Published versions are immutable: bump {{version}} (e.g. a new tag) and publish again.`,
    { stage: 'lookup', field: 'version' },
  )
}

/** Delete the upload unless the failure leaves it unclear whether the server registered it; false when it stays. */
async function removeUnregistered(
  error: unknown,
  registering: boolean,
  key: string,
  deps: PublishDependencies,
): Promise<boolean> {
  if (registering && mightBeRegistered(error)) {
    deps.logger.warn(
      `Registration outcome unknown; the uploaded object ${key} was kept because the server may reference it.`,
    )
    return false
  }
  try {
    await deps.store.delete(key)
    deps.logger.info(`Removed the uploaded object ${key}: the bundle was not registered.`)
    return true
  } catch (cleanup) {
    deps.logger.warn(`Could not remove the uploaded object ${key}: ${describeError(cleanup)}. Delete it by hand.`)
    return false
  }
}

/** Verify as a device; a local file:// URL (the folder store) is read from disk. */
async function verifyAsDevice(
  source: string,
  bundle: BundleResult,
  publicKeyPem: string,
  deps: PublishDependencies,
  tempDir: string,
): Promise<void> {
  await verifyBundleOrThrow({
    source: source.startsWith('file:') ? fileURLToPath(source) : source,
    sessionKey: bundle.sessionKey,
    checksum: bundle.checksum,
    publicKeyPem,
    fetch: cancellableFetch(deps.fetch ?? globalThis.fetch, deps.signal),
    tempDir,
    expectedSize: bundle.encryptedSize,
  })
}
