/**
 * One error type for the whole pipeline. `stage` says which stage failed (shown in the
 * summary and by the CLI), `code` comes from a catalogue in error-codes.ts (docs/errors.md),
 * `input` names the user input at fault when there is one, and the message always says what
 * to do. Messages never contain secret values.
 */
import type { ErrorCode, InputErrorCode } from './error-codes.js'

export type { ErrorCode } from './error-codes.js'

/** The stages that run, in order. Zip and encrypt failures are `bundle` (the code says which). */
export const STAGES = [
  'input',
  'build',
  'keys',
  'bundle',
  'lookup',
  'upload',
  'verify',
  'register',
  'records',
  'release',
] as const
export type Stage = (typeof STAGES)[number]

export type VerifyStep = 'download' | 'session-key' | 'decrypt' | 'checksum' | 'zip'

/** Process exit codes shared by the CLI and documented in docs/errors.md. */
export const ExitCode = {
  ok: 0,
  /** A bug or a failure outside every stage. */
  failure: 1,
  usage: 2,
  badInput: 3,
  verifyFailed: 4,
  storage: 5,
  register: 6,
  build: 7,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** The exit code of a failure at each stage: the only place that decides it. */
export const STAGE_EXIT_CODE: Readonly<Record<Stage, ExitCode>> = {
  input: ExitCode.badInput,
  build: ExitCode.build,
  keys: ExitCode.badInput,
  bundle: ExitCode.badInput,
  lookup: ExitCode.register,
  upload: ExitCode.storage,
  verify: ExitCode.verifyFailed,
  register: ExitCode.register,
  records: ExitCode.storage,
  release: ExitCode.register,
}

export interface LiveUpdateErrorOptions {
  stage: Stage
  /**
   * The field at fault (an input name such as `s3-bucket`, or a CLI-only flag); the message
   * refers to it as `{{s3-bucket}}`, and each adapter renders that (src/core/inputs/fields.ts).
   */
  field?: string
  /** Older name of `field`, kept while call sites move over. */
  input?: string
  /** Device-side verification step that failed, for verify errors. */
  step?: VerifyStep
  cause?: unknown
}

export class LiveUpdateError extends Error {
  readonly code: ErrorCode
  readonly stage: Stage
  readonly field?: string
  /** Same as `field` (older name). */
  readonly input?: string
  readonly step?: VerifyStep

  constructor(code: ErrorCode, message: string, options: LiveUpdateErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LiveUpdateError'
    this.code = code
    this.stage = options.stage
    this.field = options.field ?? options.input
    this.input = this.field
    this.step = options.step
  }

  get exitCode(): ExitCode {
    return STAGE_EXIT_CODE[this.stage]
  }
}

/** A bad input, found before any work: `message` names fields as `{{name}}`. */
export function inputError(field: string, code: InputErrorCode, message: string): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'input', field })
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
