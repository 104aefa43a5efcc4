/**
 * Wiring from the validated config to the release modes, shared by the action and the CLI:
 * the records of the app in the configured store, the server's part, the run's identity.
 */
import type { LiveUpdateConfig } from '../config/index.js'
import { ReleaseRecords, type RecordsSettings } from '../records/index.js'
import type { RegistrarDependencies } from '../register/index.js'
import type { BundleStore, Logger } from '../types.js'
import { createReleaseServer } from './index.js'
import type { ReleaseOutcome } from './outcome.js'
import type { PublishReleaseOptions } from './publish-records.js'
import { cleanup, promote, rollback, type ModeContext } from './release.js'

export interface ModeDependencies extends RegistrarDependencies {
  store: BundleStore
  logger: Logger
  records?: RecordsSettings
}

/** What publish needs to keep records (none for a dry run: it writes nothing). */
export function publishReleaseOptions(
  config: LiveUpdateConfig,
  deps: ModeDependencies,
): PublishReleaseOptions | undefined {
  if (config.publish.dryRun || config.storage.kind === 'none') return undefined
  return {
    records: new ReleaseRecords(deps.store, config.publish.appId, { logger: deps.logger, ...deps.records }),
    server: createReleaseServer(config.registrar, deps),
    logger: deps.logger,
    rolloutPercentage: config.release.rolloutPercentage,
    run: config.release.run,
    preview: config.release.preview,
  }
}

/**
 * The records the native guard and "what changed" read in a dry run, when storage is configured.
 * A dry run must not fail on storage it never writes to (a pull request without credentials):
 * unreadable records read as none, with a warning.
 */
export function releaseReader(
  config: LiveUpdateConfig,
  deps: ModeDependencies,
): Pick<ReleaseRecords, 'readChannel' | 'readReleaseAt'> | undefined {
  if (config.storage.kind === 'none' || config.publish.checkOnly) return undefined
  const records = new ReleaseRecords(deps.store, config.publish.appId, { logger: deps.logger, ...deps.records })
  const tolerant =
    <A extends unknown[], R>(read: (...args: A) => Promise<R | undefined>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await read(...args)
      } catch (error) {
        deps.logger.warn(
          `Dry run: the release records could not be read (${error instanceof Error ? error.message : String(error)}); comparing with nothing.`,
        )
        return undefined
      }
    }
  return {
    readChannel: tolerant((channel: string) => records.readChannel(channel)),
    readReleaseAt: tolerant((key: string) => records.readReleaseAt(key)),
  }
}

/** Run promote, rollback or cleanup. */
export function runReleaseMode(config: LiveUpdateConfig, deps: ModeDependencies): Promise<ReleaseOutcome> {
  const ctx: ModeContext = {
    appId: config.publish.appId,
    channel: config.release.channel,
    records: new ReleaseRecords(deps.store, config.publish.appId, { logger: deps.logger, ...deps.records }),
    server: createReleaseServer(config.registrar, deps),
    logger: deps.logger,
    run: config.release.run,
  }
  switch (config.release.mode) {
    case 'promote':
      return promote(ctx)
    case 'rollback':
      return rollback(ctx, config.release.version || undefined)
    case 'cleanup':
      return cleanup(ctx)
    case 'publish':
      throw new Error('runReleaseMode: publish runs through publish()')
  }
}
