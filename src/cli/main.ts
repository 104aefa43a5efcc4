import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeError, ExitCode, LiveUpdateError } from '../core/errors.js'
import { renderFields } from '../core/inputs/index.js'
import { BUNDLE_HELP, bundleCommand } from './bundle-command.js'
import { renderHelp } from './help.js'
import { type CliIo, UsageError } from './io.js'
import { KEY_HELP, keyCommand } from './key-command.js'
import { VERIFY_HELP, verifyCommand } from './verify-command.js'

export const USAGE = `Usage: live-update <command> [options]

Commands:
  key create     Write a signing key pair (.capgo_key_v2, .capgo_key_v2.pub); --config puts the public key in the app.
  bundle         Zip, encrypt and sign a web build into a file.
  verify         Check a bundle (file or URL) exactly as a device would.
  publish        The whole pipeline (build, bundle, upload, verify, register), as the GitHub Action runs it.
  serve          The self-hosted update responder the plugin's updateUrl/statsUrl/channelUrl talk to.

Run 'live-update <command> --help' for a command's options and examples.
  -h, --help     Show this help.     --version     Print the version.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 bad input (keys, folder, options),
4 a device would reject the bundle, 5 storage failure, 6 update-server failure, 7 build command failed
(codes and stages: docs/errors.md).`

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'key':
        return await keyCommand(rest, io)
      case 'bundle':
        return await bundleCommand(rest, io)
      case 'verify':
        return await verifyCommand(rest, io)
      case 'publish': {
        // Loaded on demand: the storage SDK is heavy and the other commands never need it.
        const { publishCommand } = await import('./publish-command.js')
        return await publishCommand(rest, io)
      }
      case 'serve':
        return await (await import('./serve-command.js')).serveCommand(rest, io)
      case '--version':
      case '-v':
      case 'version':
        io.stdout.write(`${packageVersion()}\n`)
        return ExitCode.ok
      case 'help':
        return await helpFor(rest[0], io)
      case undefined:
      case '-h':
      case '--help':
        io.stdout.write(`${USAGE}\n`)
        return command === undefined ? ExitCode.usage : ExitCode.ok
      default:
        throw new UsageError(`unknown command '${command}'. Run 'live-update --help' for the list.`)
    }
  } catch (error) {
    return reportError(error, io)
  }
}

async function helpFor(command: string | undefined, io: CliIo): Promise<number> {
  const helps = { key: KEY_HELP, bundle: BUNDLE_HELP, verify: VERIFY_HELP }
  if (command === 'publish') {
    const { PUBLISH_HELP } = await import('./publish-help.js')
    io.stdout.write(renderHelp(PUBLISH_HELP))
  } else if (command === 'serve') {
    return (await import('./serve-command.js')).serveCommand(['--help'], io)
  } else if (command && command in helps) {
    io.stdout.write(renderHelp(helps[command as keyof typeof helps]))
  } else {
    io.stdout.write(`${USAGE}\n`)
  }
  return ExitCode.ok
}

/** This package's version: the nearest package.json up from this file (src/cli/ in tests, dist/ when bundled). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'capacitor-live-update-action' && pkg.version) return pkg.version
    } catch {
      // not here: look one folder up
    }
    const parent = path.dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}

export function reportError(error: unknown, io: CliIo): number {
  // serve-command still parses with node:util parseArgs: its errors are usage errors too.
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`live-update: ${describeError(error)}\n`)
    return ExitCode.usage
  }
  const cause = (error as { cause?: unknown }).cause
  const root = error instanceof LiveUpdateError ? error : cause instanceof LiveUpdateError ? cause : undefined
  if (root) {
    io.stderr.write(`live-update: error [${root.code}]: ${renderFields(root.message, 'cli')}\n`)
    return root.exitCode
  }
  io.stderr.write(`live-update: error: ${describeError(error)}\n`)
  return ExitCode.failure
}
