import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { resolveConfig } from '../core/config.js'
import { LiveUpdateError } from '../core/errors.js'
import { INPUT_NAMES } from '../core/inputs.js'
import { publish } from '../core/publish.js'
import { createRegistrar } from '../core/register/index.js'
import { createStore } from '../core/storage/index.js'
import type { Logger } from '../core/types.js'
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
  if (config.buildCommand) await runBuild(config.buildCommand, config.workingDirectory, io)
  const result = await publish(config.publish, {
    store: createStore(config.storage),
    registrar: createRegistrar(config.registrar),
    logger,
  })
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    io.stdout.write(`${result.status}: ${result.appId} ${result.version} on channel ${result.channel}${result.bundleUrl ? ` at ${result.bundleUrl}` : ''}\n`)
  }
  return 0
}

function runBuild(command: string, cwd: string, io: CliIo): Promise<void> {
  io.stderr.write(`Running build: ${command}\n`)
  return new Promise((resolve, reject) => {
    // The build's output goes to stderr: stdout stays machine-readable for --json.
    const child = spawn(command, { cwd, shell: true, stdio: ['ignore', 'pipe', 'pipe'], env: io.env })
    child.stdout.on('data', (chunk: Buffer) => io.stderr.write(chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => io.stderr.write(chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve()
      else reject(new LiveUpdateError('build_command_failed', `'build-command' exited with code ${code}. Fix the build; nothing was published.`, { stage: 'build', input: 'build-command' }))
    })
  })
}
