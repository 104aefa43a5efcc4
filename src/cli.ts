import os from 'node:os'
import path from 'node:path'
import { closeEarlyDeflateWorkers, startDeflateWorkersEarly } from './core/zip/early-workers.js'

// `bundle`: the deflate workers start now, so their start-up overlaps the loading of the rest of the
// CLI (imported below, not statically) and the folder scan. Not for `publish`, whose build may come first.
startEarlyWorkersFor(process.argv.slice(2))

const { main } = await import('./cli/main.js')
const { cancellationOf } = await import('./core/cancel.js')
const { cancelOnSignal } = await import('./platform/cancel-on-signal.js')

// The AWS SDK prints a 9-line "NodeVersionSupportWarning" on Node 20 when publish loads it: noise
// for users of a supported Node (engines), so it is off unless the user set the variable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// The shell's code for a process ended by a signal: 128 + its number (130 SIGINT, 143 SIGTERM).
const signalExitCode = (name: string) => 128 + (os.constants.signals[name as NodeJS.Signals] ?? 0)
// A reader that went away (`live-update bundle --json | head -c 100`) must not crash the command
// halfway with an unhandled 'error' event: the work goes on (a publish still finishes or cleans up),
// only the output is lost. Any other output error still ends the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
}
const cancel = cancelOnSignal(
  {
    info: (message) => void process.stderr.write(`${message}\n`),
    warn: (message) => void process.stderr.write(`live-update: ${message}\n`),
    debug: () => undefined,
  },
  { hardStopCode: signalExitCode },
)
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: cancel.signal,
})
cancel.dispose()
await closeEarlyDeflateWorkers()
// After a cancel, leave at once: idle sockets and workers must not keep the process.
if (cancel.signal.aborted) process.exit(signalExitCode(cancellationOf(cancel.signal).signalName))

/** `bundle <dir> ... [--cache-dir DIR]`: the cache folder as bundle-command resolves it (else the workers go unused). */
function startEarlyWorkersFor(args: string[]): void {
  if (args[0] !== 'bundle' || args.includes('--help') || args.includes('-h')) return
  let cacheDir: string | undefined
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--cache-dir' && i + 1 < args.length) cacheDir = args[i + 1]
    else if (args[i].startsWith('--cache-dir=')) cacheDir = args[i].slice('--cache-dir='.length)
  }
  startDeflateWorkersEarly(cacheDir ? path.resolve(process.cwd(), cacheDir) : undefined)
}
