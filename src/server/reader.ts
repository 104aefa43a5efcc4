/**
 * Where the responder reads what the action wrote: an HTTP(S) base URL (the bucket's public URL
 * or a CDN in front of it), an R2 binding, or anything else with `read(key)`. A short cache in
 * front keeps the bucket off the hot path while promote and rollback still show within seconds.
 */

/** Reads one object of the action's state as text; `null` when it does not exist. */
export interface StateReader {
  read(key: string): Promise<string | null>
  /** For messages: where state comes from, without credentials or query strings. */
  describe(): string
}

/** The state could not be read (network error, 5xx, an unexpected status): not the same as missing. */
export class StateReadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StateReadError'
  }
}

export interface HttpReaderOptions {
  fetch?: typeof fetch
  /** Per read; a slow bucket must not hold device requests forever. */
  timeoutMs?: number
}

/**
 * GET `<baseUrl>/<key>`. 404 is "missing"; so is 403, because S3 answers 403 instead of 404 for
 * missing keys when the reader may not list the bucket (the usual public-read setup).
 */
export function httpStateReader(baseUrl: string, options: HttpReaderOptions = {}): StateReader {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error(`state URL must be http(s), got ${base.protocol}`)
  if (base.username || base.password) throw new Error('state URL must not contain credentials')
  const doFetch = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? 5000
  const shown = `${base.origin}${base.pathname}`
  return {
    describe: () => shown,
    async read(key) {
      const url = new URL(key.split('/').map(encodeURIComponent).join('/'), base)
      let response: Response
      try {
        response = await doFetch(url, {
          signal: AbortSignal.timeout(timeoutMs),
          headers: { accept: 'application/json' },
        })
      } catch (error) {
        throw new StateReadError(`cannot read ${key} from ${shown}: ${(error as Error)?.message ?? String(error)}`)
      }
      if (response.status === 404 || response.status === 403) {
        await response.body?.cancel()
        return null
      }
      if (!response.ok) {
        await response.body?.cancel()
        throw new StateReadError(`cannot read ${key} from ${shown}: HTTP ${response.status}`)
      }
      return await response.text()
    },
  }
}

/** The part of Cloudflare's R2Bucket binding the responder uses. */
export interface R2BucketLike {
  get(key: string): Promise<{ text(): Promise<string> } | null>
}

export function r2StateReader(bucket: R2BucketLike, name = 'BUCKET'): StateReader {
  return {
    describe: () => `R2 binding ${name}`,
    async read(key) {
      try {
        const object = await bucket.get(key)
        return object ? await object.text() : null
      } catch (error) {
        throw new StateReadError(
          `cannot read ${key} from R2 binding ${name}: ${(error as Error)?.message ?? String(error)}`,
        )
      }
    },
  }
}

export interface CacheOptions {
  /** How long a read (found or missing) is served from memory. 0 disables the cache. */
  ttlMs: number
  /** Bounded so requests naming random apps cannot grow memory. */
  maxEntries?: number
  now?: () => number
}

interface CacheEntry {
  expires: number
  value: Promise<string | null>
}

/**
 * Caches reads for `ttlMs`, misses included (a flood of requests for an unknown app costs the bucket
 * one read per TTL), and shares one read between concurrent requests. Failed reads are not cached.
 */
export function cachedStateReader(reader: StateReader, options: CacheOptions): StateReader & { clear(): void } {
  const maxEntries = options.maxEntries ?? 1000
  const now = options.now ?? Date.now
  const entries = new Map<string, CacheEntry>()
  return {
    describe: () => reader.describe(),
    clear: () => entries.clear(),
    read(key) {
      if (options.ttlMs <= 0) return reader.read(key)
      const time = now()
      const hit = entries.get(key)
      if (hit && hit.expires > time) return hit.value
      if (hit) entries.delete(key)
      const value = reader.read(key)
      const entry = { expires: time + options.ttlMs, value }
      // Oldest first: Map keeps insertion order, so the first key is the one to drop.
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(key, entry)
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key)
      })
      return value
    },
  }
}
