import { describeError, ExitCode, LiveUpdateError } from '../core/errors.js'
import { bundleCommand } from './bundle-command.js'
import { type CliIo, UsageError } from './io.js'
import { keyCommand } from './key-command.js'
import { verifyCommand } from './verify-command.js'

export const USAGE = `Usage: live-update <command> [options]

Commands:
  key create [--dir D] [--force] [--config FILE]
      Write .capgo_key_v2 (private, keep it secret) and .capgo_key_v2.pub (public) in D.
      --config writes the public key into capacitor.config.json (plugins.CapacitorUpdater.publicKey).
  bundle <webDir> --private-key FILE --version SEMVER --out FILE [--public-key FILE] [--json] [--no-notify-check] [--level 1-9]
      Zip, encrypt and sign the web output into FILE. The public key (--public-key, else the
      capacitor.config in the current folder) must be the private key's pair.
  verify <file-or-url> --session-key S --checksum C --public-key FILE [--json]
      Check a bundle exactly as a device would (decrypt, checksum, zip layout).
  publish [--<action-input> VALUE ...]
      The whole pipeline (bundle, upload, verify, register): options are the action's inputs,
      e.g. --path dist --version 1.2.3 --private-key-file .capgo_key_v2 --storage dir --storage-dir out.
  serve --state-url URL [--port P] [--host H] [--cache-ttl S] [--stats-webhook URL]
      The self-hosted update responder (POST /updates, POST /stats, /channel_self) for the plugin.

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
      case 'serve':
        return await (await import('./serve-command.js')).serveCommand(rest, io)
      case 'publish': {
        // Loaded on demand: the storage SDK is heavy and the other commands never need it.
        const { publishCommand } = await import('./publish-command.js')
        return await publishCommand(rest, io)
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${USAGE}\n`)
        return command === undefined ? ExitCode.usage : ExitCode.ok
      default:
        throw new UsageError(`unknown command '${command}'. Run 'live-update --help' for the list.`)
    }
  } catch (error) {
    return reportError(error, io)
  }
}

export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`live-update: ${describeError(error)}\n`)
    return ExitCode.usage
  }
  const cause = (error as { cause?: unknown }).cause
  const root = error instanceof LiveUpdateError ? error : cause instanceof LiveUpdateError ? cause : undefined
  if (root) {
    io.stderr.write(`live-update: error [${root.code}]: ${root.message}\n`)
    return root.exitCode
  }
  io.stderr.write(`live-update: error: ${describeError(error)}\n`)
  return ExitCode.failure
}
