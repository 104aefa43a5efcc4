/**
 * The deflate cache across workflow runs, through the Actions cache service (`bundle-cache`).
 * Restored before bundling, saved after. Keys hold the ref, and restores only look at the
 * run's own ref (then a pull request's base branch): a pull-request run can read what main
 * saved, but main never restores what a pull request saved. GitHub scopes caches the same way
 * (a run reads its own ref's caches and the default branch's); the prefix keeps it so on
 * servers that scope less. Whatever comes back is only used after the byte-for-byte check (zip/cache.ts).
 */
import path from 'node:path'
import { pruneDeflateCache } from '../core/zip/cache.js'
import type { Logger } from '../core/types.js'

/** The part of @actions/cache this uses: injected, so tests run without the cache service. */
export interface CacheClient {
  isFeatureAvailable(): boolean
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>
  saveCache(paths: string[], key: string): Promise<number>
}

const KEY_PREFIX = 'live-update-deflate-v1'

export interface BundleCacheKeys {
  key: string
  restoreKeys: string[]
}

/** Keys for this run: unique (cache entries are immutable), restored by prefix of the ref. */
export function bundleCacheKeys(env: NodeJS.ProcessEnv): BundleCacheKeys | undefined {
  const ref = env.GITHUB_REF
  if (!ref) return undefined
  const scope = (name: string) => `${KEY_PREFIX}-${env.RUNNER_OS ?? 'os'}-${env.RUNNER_ARCH ?? 'arch'}-${name}-`
  const restoreKeys = [scope(ref)]
  // A pull request starts from its base branch's entries (read only: it saves under its own ref).
  if (env.GITHUB_BASE_REF) restoreKeys.push(scope(`refs/heads/${env.GITHUB_BASE_REF}`))
  const key = `${scope(ref)}${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
  return { key, restoreKeys }
}

export interface BundleCacheSession {
  dir: string
  keys: BundleCacheKeys
  /** Saves the entries of the bundle just made (and only those). Never throws. */
  save(level: number, used: Iterable<string>): Promise<void>
}

/** Restores the cache into `<tempDir>/live-update-deflate-cache`; undefined when the service is not there. */
export async function restoreBundleCache(
  client: CacheClient,
  tempDir: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<BundleCacheSession | undefined> {
  const keys = bundleCacheKeys(env)
  if (!keys) return undefined
  if (!client.isFeatureAvailable()) {
    logger.info('bundle-cache: the Actions cache service is not available here; compressing every file.')
    return undefined
  }
  const dir = path.join(tempDir, 'live-update-deflate-cache')
  try {
    const restored = await client.restoreCache([dir], keys.key, keys.restoreKeys)
    logger.info(restored ? `bundle-cache: restored ${restored}` : 'bundle-cache: nothing cached for this branch yet')
  } catch (error) {
    logger.warn(
      `bundle-cache: could not restore the deflate cache (${(error as Error).message}); compressing every file.`,
    )
  }
  return {
    dir,
    keys,
    async save(level, used) {
      try {
        const { kept } = pruneDeflateCache(dir, level, new Set(used))
        if (kept === 0) return
        await client.saveCache([dir], keys.key)
        logger.info(`bundle-cache: saved ${kept} entries as ${keys.key}`)
      } catch (error) {
        logger.warn(
          `bundle-cache: could not save the deflate cache (${(error as Error).message}); the next run compresses every file.`,
        )
      }
    },
  }
}
