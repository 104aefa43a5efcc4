/** The build step's inputs: the command, and how long it may run. */
import { inputError } from '../errors.js'
import type { Inputs } from './reader.js'

export interface BuildSettings {
  buildCommand?: string
  /** How long the build may run before its process group is ended. */
  buildTimeoutMs: number
}

export function resolveBuild(inputs: Inputs): BuildSettings {
  return {
    buildCommand: inputs.read('build-command'),
    buildTimeoutMs: parseBuildTimeout(inputs.read('build-timeout-minutes')!),
  }
}

/** Minutes, fractions allowed (0.5 = 30 s), up to GitHub's 6-hour job limit. */
export function parseBuildTimeout(value: string): number {
  const minutes = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(minutes > 0) || minutes > 360) {
    throw inputError(
      'build-timeout-minutes',
      'input_build_timeout_invalid',
      `{{build-timeout-minutes}} must be a number of minutes above 0 and at most 360 (e.g. 30); got '${value}'.`,
    )
  }
  return Math.round(minutes * 60000)
}
