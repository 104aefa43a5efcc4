/**
 * One error type for the whole pipeline. `stage` says which stage failed (shown in the
 * summary and by the CLI), `input` names the user input at fault when there is one, and
 * the message always says what to do. Messages never contain secret values.
 */
export type Stage =
  | 'input'
  | 'keys'
  | 'build'
  | 'zip'
  | 'encrypt'
  | 'lookup'
  | 'upload'
  | 'verify'
  | 'register'
  | 'report'

export type VerifyStep = 'download' | 'session-key' | 'decrypt' | 'checksum' | 'zip'

/** Process exit codes shared by the CLI and documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  badInput: 3,
  verifyFailed: 4,
  storage: 5,
  register: 6,
} as const

export interface LiveUpdateErrorOptions {
  stage: Stage
  /** Name of the input (action input / CLI flag) at fault, if any. */
  input?: string
  /** Device-side verification step that failed, for verify errors. */
  step?: VerifyStep
  cause?: unknown
}

export class LiveUpdateError extends Error {
  readonly code: string
  readonly stage: Stage
  readonly input?: string
  readonly step?: VerifyStep

  constructor(code: string, message: string, options: LiveUpdateErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LiveUpdateError'
    this.code = code
    this.stage = options.stage
    this.input = options.input
    this.step = options.step
  }

  get exitCode(): number {
    switch (this.stage) {
      case 'input':
      case 'keys':
      case 'zip':
        return ExitCode.badInput
      case 'verify':
        return ExitCode.verifyFailed
      case 'upload':
      case 'lookup':
        return this.code.startsWith('storage') ? ExitCode.storage : ExitCode.register
      case 'register':
        return ExitCode.register
      default:
        return ExitCode.failure
    }
  }
}

export function inputError(input: string, code: string, message: string): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'input', input })
}

/** Turn anything thrown into a one-line message (no stack) safe for logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/** Replace every occurrence of each secret (4 characters or more) by `***`: for text a provider sent back. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***')
  return out
}
