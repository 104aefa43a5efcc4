/**
 * Fetching the bundle for verification, bounded as a device's download is not: a size limit that
 * stops the download as soon as one byte too many arrives (the uploaded size when known, else
 * Content-Length, else a hard cap) and a deadline scaled to the size (a minimum average rate after a
 * grace period), besides the idle watchdog. Redirects are followed here, not by fetch, so an
 * https→http hop can be refused as devices with `httpsOnly` refuse it. Every message shows URLs
 * through `safeUrl` (no credentials, no signed query).
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { describeError } from './errors.js'
import type { Fetch } from './types.js'
import { safeUrl } from './url.js'

/** A failure a device would hit while downloading; `verify.ts` reports it at the download step. */
export class DownloadFailure extends Error {}

/** No bundle without ZIP64 is bigger (4 GiB of zip, plus AES padding). */
export const HARD_CAP_BYTES = 2 ** 32 + 16
const MAX_REDIRECTS = 20

export interface DownloadLimits {
  /** Encrypted size the download must have, when known (publish knows it). */
  expectedSize?: number
  /** Overrides the hard cap (tests). */
  maxBytes?: number
  /** A download that sends nothing for this long fails (default 60 s). */
  idleTimeoutMs?: number
  /** Deadline = graceMs + size / minBytesPerSecond (defaults 60 s and 512 KiB/s). */
  graceMs?: number
  minBytesPerSecond?: number
}

export interface OpenedSource {
  stream: Readable
  /** Content-Type of the final answer, for telling an error page from a bundle. */
  contentType?: string
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source)
}

/** For messages: a URL without credentials or query string (a signed URL's query holds credentials). */
export function describeSource(source: string | Readable): string {
  if (typeof source !== 'string') return 'the bundle stream'
  return isUrl(source) ? safeUrl(source) : source
}

/** Any URL quoted inside a library's message goes through safeUrl too. */
export function scrubUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s'"<>]+/gi, (url) => safeUrl(url))
}

/** `fetch failed` says nothing: the cause (refused connection, DNS, TLS) is in `cause`. */
export function describeFetchError(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const text = describeError(current)
    const code = (current as { code?: unknown }).code
    const piece = typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text
    if (!parts.includes(piece)) parts.push(piece)
    current = (current as { cause?: unknown }).cause
  }
  return scrubUrls(parts.join(': '))
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
}

/**
 * Enforces the size limit, the deadline and the idle limit on the bytes passing through, and
 * aborts the fetch (through `signal`) when one is crossed.
 */
export class DownloadGuard {
  readonly controller = new AbortController()
  received = 0
  private limit = HARD_CAP_BYTES
  private limitReason = `the ${formatBytes(HARD_CAP_BYTES)} cap: no bundle is bigger`
  private readonly started = Date.now()
  private lastData = Date.now()
  private readonly graceMs: number
  private readonly rate: number
  private readonly idleMs: number
  private readonly ticker: NodeJS.Timeout
  private knownSize: number | undefined
  private failure: DownloadFailure | undefined

  constructor(private readonly limits: DownloadLimits) {
    this.graceMs = limits.graceMs ?? 60_000
    this.rate = limits.minBytesPerSecond ?? 512 * 1024
    this.idleMs = limits.idleTimeoutMs ?? 60_000
    if (limits.maxBytes !== undefined) this.setLimit(limits.maxBytes, `the ${formatBytes(limits.maxBytes)} cap`)
    if (limits.expectedSize !== undefined) this.setLimit(limits.expectedSize, 'the uploaded size')
    // One timer checks both limits: re-arming a timer per chunk costs more than the check.
    this.ticker = setInterval(() => this.check(), Math.max(20, Math.min(1000, this.idleMs / 4, this.graceMs / 4)))
    this.ticker.unref()
  }

  /** Narrow the limit (never widen it past what is already known). */
  setLimit(bytes: number, reason: string): void {
    if (bytes > this.limit) return
    this.limit = bytes
    this.limitReason = reason
    this.knownSize = bytes
  }

  get expectedSize(): number | undefined {
    return this.limits.expectedSize
  }

  get aborted(): DownloadFailure | undefined {
    return this.failure
  }

  /** Count `length` more bytes; throws (and aborts the fetch) once more than the limit arrived. */
  take(length: number): void {
    this.received += length
    this.lastData = Date.now()
    if (this.received > this.limit) {
      throw this.fail(
        `more than ${this.limit} bytes arrived (the limit is ${this.limitReason}); the download was stopped at ${this.received} bytes`,
      )
    }
  }

  stop(): void {
    clearInterval(this.ticker)
  }

  private fail(message: string): DownloadFailure {
    if (!this.failure) {
      this.failure = new DownloadFailure(message)
      this.stop()
      this.controller.abort(this.failure)
    }
    return this.failure
  }

  private deadlineFor(bytes: number): number {
    return this.graceMs + (bytes / this.rate) * 1000
  }

  private rule(): string {
    return `${seconds(this.graceMs)} + 1 s per ${formatBytes(this.rate)}`
  }

  /** Known size: one fixed deadline. Unknown: the deadline grows with what has arrived. */
  private check(): void {
    const now = Date.now()
    const elapsed = now - this.started
    if (now - this.lastData > this.idleMs) {
      this.fail(`no data for ${this.idleMs / 1000} s (after ${this.received} bytes)`)
    } else if (this.knownSize !== undefined && elapsed > this.deadlineFor(this.knownSize)) {
      this.fail(
        `the download of ${formatBytes(this.knownSize)} did not finish within its deadline of ${seconds(this.deadlineFor(this.knownSize))} (${this.rule()}); ${this.received} bytes arrived in ${seconds(elapsed)}`,
      )
    } else if (this.knownSize === undefined && elapsed > this.deadlineFor(this.received)) {
      this.fail(
        `the download is slower than the minimum rate: ${this.received} bytes in ${seconds(elapsed)} (allowed: ${this.rule()})`,
      )
    }
  }
}

/** Open a file, URL or stream as the encrypted bytes; throws DownloadFailure for what a device would hit. */
export async function openSource(
  source: string | Readable,
  fetchImpl: Fetch | undefined,
  guard: DownloadGuard,
): Promise<OpenedSource> {
  if (typeof source !== 'string') return { stream: source }
  if (!isUrl(source)) {
    const info = await stat(source).catch((error: unknown) => {
      throw new DownloadFailure(`reading ${source} failed: ${describeError(error)}`)
    })
    if (info.isFile()) guard.setLimit(info.size, 'the file size')
    return { stream: createReadStream(source, { highWaterMark: 1 << 20 }) }
  }
  const doFetch = fetchImpl ?? globalThis.fetch
  let url = source
  for (let hop = 0; ; hop++) {
    let response: Response
    try {
      response = await doFetch(url, { signal: guard.controller.signal, redirect: 'manual' })
    } catch (error) {
      throw guard.aborted ?? new DownloadFailure(`GET ${safeUrl(url)} failed: ${describeFetchError(error)}`)
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => undefined)
      const next = new URL(location, url).toString()
      if (url.toLowerCase().startsWith('https:') && !next.toLowerCase().startsWith('https:')) {
        throw new DownloadFailure(
          `GET ${safeUrl(url)} redirected from https to ${safeUrl(next)}; devices refuse an https→http redirect (the plugin's httpsOnly gate): serve the bundle over https all the way`,
        )
      }
      if (hop >= MAX_REDIRECTS)
        throw new DownloadFailure(
          `GET ${safeUrl(source)} was redirected more than ${MAX_REDIRECTS} times (last to ${safeUrl(next)}): a redirect loop?`,
        )
      url = next
      continue
    }
    const where = url === source ? `GET ${safeUrl(url)}` : `GET ${safeUrl(source)} (redirected to ${safeUrl(url)})`
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined)
      throw new DownloadFailure(
        `${where} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      )
    }
    if (!response.body) throw new DownloadFailure(`${where} returned no body`)
    const length = Number(response.headers.get('content-length') ?? Number.NaN)
    // With a content-encoding the length counts encoded bytes, not what fetch hands over.
    if (Number.isSafeInteger(length) && length >= 0 && !response.headers.get('content-encoding')) {
      const expected = guard.expectedSize
      if (expected !== undefined && length > expected) {
        await response.body.cancel().catch(() => undefined)
        throw new DownloadFailure(
          `${where} announces ${length} bytes (Content-Length), but ${expected} were uploaded: a different object, or an error page`,
        )
      }
      guard.setLimit(length, 'the Content-Length the server announced')
    }
    const stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
    return { stream, contentType: response.headers.get('content-type') ?? undefined }
  }
}
