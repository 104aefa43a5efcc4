import * as core from '@actions/core'
import type { LiveUpdateConfig } from '../core/config/index.js'
import { runIsolatedBuild } from '../platform/build-policy.js'

/** Runs `build-command` in a log group, kept from the action's secrets (see docs/build-isolation.md). */
export async function runActionBuild(config: LiveUpdateConfig, secretInputs: readonly string[], inputSecrets: readonly string[], signal?: AbortSignal): Promise<void> {
  const command = config.buildCommand!
  const forget = new Set(secretInputs.map((name) => `INPUT_${name.toUpperCase()}`))
  if (core.getInput('private-key-file') && !core.getInput('private-key')) {
    core.warning("'build-command' runs as the same user and can read 'private-key-file'. Give the key as 'private-key' from a secret, or build in a separate step.")
  }
  await core.group(`build: ${command}`, async () => {
    // The same line @actions/exec prints, so the runner highlights the command.
    core.info(`[command]bash -c ${command}`)
    await runIsolatedBuild({
      command,
      cwd: config.workingDirectory,
      timeoutMs: config.buildTimeoutMs,
      secrets: [...new Set([...config.secrets, ...inputSecrets])],
      forget: (name) => forget.has(name.toUpperCase()),
      signal,
      output: (chunk) => process.stdout.write(chunk),
      logger: { info: core.info, warn: core.warning, debug: core.debug },
    })
  })
}
