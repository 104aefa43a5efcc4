import { parseArgs } from 'node:util'
import { type LiveUpdateConfig, resolveConfig } from '../core/config.js'
import { INPUT_NAMES } from '../core/inputs.js'
import { publish } from '../core/publish.js'
import { createRegistrar } from '../core/register/index.js'
import { createStore } from '../core/storage/index.js'
import type { Logger } from '../core/types.js'
import { runIsolatedBuild } from '../platform/build-policy.js'
import { type CliIo, UsageError } from './io.js'

/** `live-update publish`: the action's pipeline from a terminal; flags are the action's input names. */
export async function publishCommand(argv: string[], io: CliIo): Promise<number> {
  const options = Object.fromEntries(INPUT_NAMES.map((name) => [name, { type: 'string' as const }]))
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...options, json: { type: 'boolean', default: false } },
    strict: true,
  })
  if (positionals.length > 0) throw new UsageError(`publish takes only --options; unexpected '${positionals[0]}'.`)
  const flags = values as Record<string, string | boolean | undefined>
  const config = await resolveConfig((name) => {
    const value = flags[name]
    return typeof value === 'string' ? value : undefined
  }, { cwd: io.cwd, env: io.env })

  const logger: Logger = {
    info: (message) => void io.stderr.write(`${message}\n`),
    warn: (message) => void io.stderr.write(`warning: ${message}\n`),
    debug: () => undefined,
  }
  if (config.buildCommand) await runBuild(config, io, logger)
  const result = await publish(config.publish, {
    store: createStore(config.storage),
    registrar: createRegistrar(config.registrar, { signal: io.signal }),
    logger,
    signal: io.signal,
  })
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    io.stdout.write(`${result.status}: ${result.appId} ${result.version} on channel ${result.channel}${result.bundleUrl ? ` at ${result.bundleUrl}` : ''}\n`)
  }
  return 0
}

function runBuild(config: LiveUpdateConfig, io: CliIo, logger: Logger): Promise<void> {
  io.stderr.write(`Running build: ${config.buildCommand}\n`)
  return runIsolatedBuild({
    command: config.buildCommand!,
    cwd: config.workingDirectory,
    timeoutMs: config.buildTimeoutMs,
    env: io.env,
    secrets: config.secrets,
    signal: io.signal,
    // The build's output goes to stderr: stdout stays machine-readable for --json.
    output: (chunk) => void io.stderr.write(chunk.toString()),
    logger,
  })
}
