import { parseArgs } from 'node:util'
import { ExitCode } from '../core/errors.js'
import { safeUrl } from '../core/url.js'
import { startNodeServer } from '../entries/node-server.js'
import { cacheTtlMs, ResponderConfigError } from '../server/env.js'
import { createResponder } from '../server/handler.js'
import { httpStateReader } from '../server/reader.js'
import { type CliIo, UsageError } from './io.js'

export const SERVE_USAGE = `live-update serve --state-url URL [--port 8787] [--host 127.0.0.1] [--cache-ttl 10] [--stats-webhook URL]
      Answer the plugin's updateUrl (POST /updates), statsUrl (POST /stats) and channelUrl (/channel_self)
      from the records the action keeps in your bucket. Flags fall back to STATE_URL, PORT, HOST,
      CACHE_TTL_SECONDS and STATS_WEBHOOK_URL. Stops on SIGINT/SIGTERM.`

/** Runs until SIGINT/SIGTERM (or `stop` resolves, for tests), then closes the server and returns. */
export async function serveCommand(argv: string[], io: CliIo, stop?: Promise<unknown>): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'state-url': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'cache-ttl': { type: 'string' },
      'stats-webhook': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    // Same shape as the other commands' help: usage, then examples.
    io.stdout.write(
      `Usage: ${SERVE_USAGE}\n\nExamples:\n  live-update serve --state-url https://updates.example.com --port 8787\n  STATE_URL=https://updates.example.com PORT=8080 live-update serve\n`,
    )
    return ExitCode.ok
  }
  const stateUrl = values['state-url'] ?? io.env.STATE_URL
  if (!stateUrl)
    throw new UsageError(
      'serve needs --state-url (or STATE_URL): the public base URL of the bucket the action publishes to.',
    )
  const portText = values.port ?? (io.env.PORT || '8787')
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new UsageError(`--port must be a TCP port number (0-65535), got '${portText}'.`)
  const webhook = values['stats-webhook'] ?? (io.env.STATS_WEBHOOK_URL || undefined)
  if (webhook && !/^https?:\/\//.test(webhook)) throw new UsageError('--stats-webhook must be an http(s) URL.')
  let ttl: number
  let reader
  try {
    ttl = cacheTtlMs(values['cache-ttl'] ?? (io.env.CACHE_TTL_SECONDS || undefined))
    reader = httpStateReader(stateUrl)
  } catch (error) {
    throw new UsageError(
      error instanceof ResponderConfigError
        ? error.message.replace('CACHE_TTL_SECONDS', '--cache-ttl')
        : `--state-url: ${(error as Error).message}`,
    )
  }
  const log = (line: string): void => void io.stderr.write(`${line}\n`)
  const responder = createResponder({ reader, cacheTtlMs: ttl, statsWebhookUrl: webhook, log })
  const running = await startNodeServer(responder, { port, host: values.host ?? (io.env.HOST || '127.0.0.1'), log })
  io.stdout.write(
    `live-update responder listening on ${running.url} (state: ${safeUrl(stateUrl)}, cache ${ttl / 1000} s)\n`,
  )
  // Stats are counted in memory only: a line per minute (when they moved) is the operator's view.
  let lastLine = ''
  const report = (): void => {
    const line = statsLine(responder.stats.counts(), responder.stats.rejected())
    if (line !== lastLine) io.stdout.write(`${line}\n`)
    lastLine = line
  }
  const timer = setInterval(report, 60_000)
  timer.unref()
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    stop?.then(done, done)
  })
  clearInterval(timer)
  await running.close()
  report()
  io.stdout.write('live-update responder stopped\n')
  return ExitCode.ok
}

export function statsLine(counts: Record<string, number>, rejected: number): string {
  const parts = Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([action, count]) => `${action}=${count}`)
  return `stats since start: ${parts.length ? parts.join(' ') : 'none'}${rejected ? `, rejected=${rejected}` : ''}`
}
