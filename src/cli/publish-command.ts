import path from 'node:path'
import { type LiveUpdateConfig, resolveConfig } from '../core/config/index.js'
import { renderFields } from '../core/inputs/index.js'
import { inputError } from '../core/errors.js'
import { isInside } from '../core/paths.js'
import { publishReleaseOptions, releaseReader, runReleaseMode } from '../core/modes/run.js'
import { publish } from '../core/publish.js'
import { createRegistrar } from '../core/register/index.js'
import { changesLine } from '../core/report/changes.js'
import { createStore } from '../core/storage/index.js'
import type { Logger } from '../core/types.js'
import { runIsolatedBuild } from '../platform/build-policy.js'
import { parseFlags } from './args.js'
import { PUBLISH_HELP } from './publish-help.js'
import { renderHelp } from './help.js'
import { publishFlags, publishInputValues } from './inputs.js'
import { type CliIo, UsageError } from './io.js'

/** `live-update publish`: the action's pipeline from any CI or terminal; flags come from the input table. */
export async function publishCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals, help } = parseFlags(argv, publishFlags(), 'publish')
  if (help) {
    io.stdout.write(renderHelp(PUBLISH_HELP))
    return 0
  }
  if (positionals.length > 0)
    throw new UsageError(
      `publish takes only --options; unexpected '${positionals[0]}'. Run 'live-update publish --help'.`,
    )
  const inputs = await publishInputValues(values, io)
  const config = await resolveConfig((name) => inputs[name], { cwd: io.cwd })

  const logger: Logger = {
    info: (message) => void io.stderr.write(`${renderFields(message, 'cli')}\n`),
    warn: (message) => void io.stderr.write(`warning: ${renderFields(message, 'cli')}\n`),
    debug: () => undefined,
  }
  const store = createStore(config.storage)
  if (config.release.mode !== 'publish') {
    // --mode promote | rollback | cleanup: the channel changes, nothing is built or uploaded.
    const outcome = await runReleaseMode(config, { store, logger, signal: io.signal })
    io.stdout.write(
      values.json ? `${JSON.stringify(outcome)}\n` : `${outcome.mode}: ${renderFields(outcome.note, 'cli')}\n`,
    )
    return 0
  }
  if (config.buildCommand) await runBuild(config, io, logger)
  const releaseOptions = publishReleaseOptions(config, { store, logger, signal: io.signal })
  // The action keeps its cache in the Actions cache (bundle-cache); here it is a folder the user names.
  const cacheDir = typeof values['cache-dir'] === 'string' ? path.resolve(io.cwd, values['cache-dir']) : undefined
  if (cacheDir && isInside(config.publish.webDir, cacheDir)) {
    throw inputError(
      'cache-dir',
      'input_cache_dir_inside_web_dir',
      `{{cache-dir}} ${cacheDir} is inside the web folder ${config.publish.webDir}. Keep the cache somewhere else.`,
    )
  }
  const result = await publish(
    { ...config.publish, cacheDir },
    {
      store,
      registrar: createRegistrar(config.registrar, { logger, signal: io.signal, store }),
      release: releaseOptions,
      releases: releaseOptions?.records ?? releaseReader(config, { store, logger }),
      logger,
      signal: io.signal,
    },
  )
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    io.stdout.write(
      `${result.status}: ${result.appId} ${result.version} on channel ${result.channel}${result.bundleUrl ? ` at ${result.bundleUrl}` : ''}\n`,
    )
    if (result.native && result.native.verdict.status !== 'off')
      io.stdout.write(
        `native: ${result.native.verdict.status}${'baselineVersion' in result.native.verdict && result.native.verdict.baselineVersion ? ` (with ${result.native.verdict.baselineVersion})` : ''}\n`,
      )
    if (result.changes) io.stdout.write(`changes ${changesLine(result.changes)}\n`)
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
