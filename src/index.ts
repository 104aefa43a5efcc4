import * as core from '@actions/core'
import { hardStop, run } from './action/main.js'
import { cancelOnSignal } from './platform/cancel-on-signal.js'

const cancel = cancelOnSignal({ info: core.info, warn: core.warning, debug: core.debug }, { onHardStop: hardStop })
await run({ signal: cancel.signal })
cancel.dispose()
// Leave at once after a cancel: keep-alive sockets or a lingering worker must not hold the job.
if (cancel.signal.aborted) process.exit(process.exitCode || 1)
