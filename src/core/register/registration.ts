/**
 * What every registrar shares apart from transport: the error that says whether the update server
 * might now reference the uploaded object, and the check that no half bundle is ever registered.
 */
import type { ErrorCode, RegisterErrorCode } from '../error-codes.js'
import { LiveUpdateError, type Stage } from '../errors.js'
import type { RegistrationRequest } from '../types.js'

/**
 * Whether the update server might reference the uploaded object after a failed registration.
 * - `not-registered`: the server refused or was never reached; the uploaded object is unused.
 * - `maybe-registered`: a request that registers the bundle was sent but its outcome is unknown
 *   (timeout, dropped connection, 5xx) and a look-up could not settle it. Keep the object.
 * - `registered`: the bundle is registered (a later step, e.g. pointing the channel, failed). Keep it.
 */
export type BundleState = 'not-registered' | 'maybe-registered' | 'registered'

/** A LiveUpdateError from a registrar, saying whether the bundle may be registered. */
export class RegistrationError extends LiveUpdateError {
  readonly bundleState: BundleState
  /** HTTP status of the last answer, when there was one. */
  readonly httpStatus?: number
  /** The server's error code (e.g. Capgo's `invalid_apikey`), when there was one. */
  readonly apiCode?: string

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      stage: Stage
      input?: string
      cause?: unknown
      bundleState: BundleState
      httpStatus?: number
      apiCode?: string
    },
  ) {
    super(code, message, { stage: options.stage, input: options.input, cause: options.cause })
    this.name = 'RegistrationError'
    this.bundleState = options.bundleState
    this.httpStatus = options.httpStatus
    this.apiCode = options.apiCode
  }
}

/**
 * After a failed `register()`: may the update server now point devices at the uploaded object?
 * When true the orchestrator must NOT delete the uploaded object. Unknown errors (bugs, anything
 * that is not a RegistrationError) count as "might be registered": an orphaned object is cheap,
 * a deleted live bundle breaks devices.
 */
export function mightBeRegistered(error: unknown): boolean {
  if (error instanceof RegistrationError) return error.bundleState !== 'not-registered'
  return true
}

const SIGNED_CHECKSUM = /^[0-9a-f]{512}$/

/** Never register half a bundle: devices with a public key would accept or reject the wrong thing. */
export function validateRegistrationRequest(req: RegistrationRequest): void {
  const fail = (code: RegisterErrorCode, message: string, input?: string): never => {
    throw new RegistrationError(code, message, { stage: 'register', input, bundleState: 'not-registered' })
  }
  if (!req.appId) fail('register_app_id_missing', 'Refusing to register: no app id.', 'app-id')
  if (!req.version) fail('register_version_missing', 'Refusing to register: no version.', 'version')
  if (!req.channel) fail('register_channel_missing', 'Refusing to register: no channel.', 'channel')
  if (!req.externalUrl) fail('register_url_missing', 'Refusing to register: no bundle URL.', 'public-url')
  if (!req.sessionKey?.includes(':')) {
    fail(
      'register_session_key_missing',
      'Refusing to register a bundle without its session key (ivSessionKey): devices with a public key would skip ' +
        'decryption. This is a bug in the publishing pipeline.',
    )
  }
  if (!SIGNED_CHECKSUM.test(req.checksum ?? '')) {
    fail(
      'register_checksum_invalid',
      'Refusing to register: the checksum is not a 512-character lowercase hex signed checksum (V3). Devices with a ' +
        'public key would refuse the bundle. This is a bug in the publishing pipeline.',
    )
  }
  if (!req.keyId) fail('register_key_id_missing', 'Refusing to register a bundle without its key_id.', 'private-key')
}
