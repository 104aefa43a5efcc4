import { randomBytes } from 'node:crypto'
import { EOL } from 'node:os'
import * as core from '@actions/core'
import type { LiveUpdateConfig } from '../core/config/index.js'
import { runIsolatedBuild } from '../platform/build-policy.js'

/** Runs `build-command` in a log group, kept from the action's secrets (see docs/build-isolation.md). */
export async function runActionBuild(
  config: LiveUpdateConfig,
  secretInputs: readonly string[],
  inputSecrets: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const command = config.buildCommand!
  const forget = new Set(secretInputs.map((name) => `INPUT_${name.toUpperCase()}`))
  if (core.getInput('private-key-file') && !core.getInput('private-key')) {
    core.warning(
      "'build-command' runs as the same user and can read 'private-key-file'. Give the key as 'private-key' from a secret, or build in a separate step.",
    )
  }
  // The build's output is not the action's voice: workflow commands in it (::error::, ::add-mask::,
  // ::group::) are not acted on. The token is random, so the build cannot resume them itself.
  const token = randomBytes(16).toString('hex')
  let stopped = false
  const resume = () => {
    if (stopped) process.stdout.write(`${EOL}::${token}::${EOL}`)
    stopped = false
  }
  resumeHook = resume
  await core.group(`build: ${command}`, async () => {
    // The same line @actions/exec prints, so the runner highlights the command.
    core.info(`[command]bash -c ${command}`)
    try {
      await runIsolatedBuild({
        command,
        cwd: config.workingDirectory,
        timeoutMs: config.buildTimeoutMs,
        secrets: [...new Set([...config.secrets, ...inputSecrets])],
        forget: (name) => forget.has(name.toUpperCase()),
        signal,
        output: (chunk) => {
          if (!stopped) process.stdout.write(`::stop-commands::${token}${EOL}`)
          stopped = true
          process.stdout.write(chunk)
        },
        logger: {
          info: (message) => (resume(), core.info(message)),
          warn: (message) => (resume(), core.warning(message)),
          debug: (message) => (resume(), core.debug(message)),
        },
      })
    } finally {
      resume()
      resumeHook = () => {}
    }
  })
}

let resumeHook: () => void = () => {}

/** Turns workflow commands back on if a build is printing (a hard stop's ::error:: must count). */
export function resumeWorkflowCommands(): void {
  resumeHook()
}
