import os from 'node:os'
import { main } from './cli/main.js'
import { cancellationOf } from './core/cancel.js'
import { cancelOnSignal } from './platform/cancel-on-signal.js'

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
// After a cancel, leave at once: idle sockets and workers must not keep the process.
if (cancel.signal.aborted) process.exit(signalExitCode(cancellationOf(cancel.signal).signalName))
