/**
 * Turns what the Capgo API answered (or the network failure in front of it) into one
 * RegistrationError that names the input to fix and says whether the bundle may be registered:
 * the user reads this, not Capgo's error code.
 */
import type { CapgoErrorCode } from '../error-codes.js'
import { LiveUpdateError, type Stage } from '../errors.js'
import { safeUrl } from '../url.js'
import { describeFailure, HttpFailure, seconds, TransportFailure, UnexpectedAnswer } from './http.js'
import { type BundleState, RegistrationError } from './registration.js'

/** The call that failed: what the messages name, and what the error says about the bundle. */
export interface CapgoCallContext {
  appId: string
  version?: string
  channel?: string
  keyId?: string
  externalUrl?: string
  /** What we were doing, for messages: "register the bundle". */
  action: string
  stage: Stage
  bundleState: BundleState
}

/** The registrar's settings the messages quote. */
export interface CapgoEndpoint {
  /** The API URL as messages show it (`safeUrl`: no credentials, no query). */
  baseUrl: string
  attempts: number
}

export function mapError(error: unknown, ctx: CapgoCallContext, endpoint: CapgoEndpoint): LiveUpdateError {
  if (error instanceof LiveUpdateError) return error
  const { baseUrl, attempts } = endpoint
  const make = (code: CapgoErrorCode, message: string, input?: string) =>
    new RegistrationError(code, message, {
      stage: ctx.stage,
      input,
      cause: error,
      bundleState: ctx.bundleState,
      httpStatus: error instanceof HttpFailure ? error.status : undefined,
      apiCode: error instanceof HttpFailure ? error.apiCode : undefined,
    })
  const unsure =
    ctx.bundleState === 'maybe-registered'
      ? ` The bundle MAY be registered: the uploaded object is kept; re-run the publish to settle it (it looks the version up first).`
      : ctx.bundleState === 'registered'
        ? ` The bundle itself is registered; re-run the publish to finish (it will find the bundle and point the channel).`
        : ''

  if (error instanceof TransportFailure) {
    if (error.kind === 'timeout')
      return make(
        'capgo_request_timeout',
        `Capgo at ${baseUrl} did not answer ${error.method} ${error.path} within ${seconds(error.timeoutMs)} (tried ${attempts} times) while trying to ${ctx.action}.${unsure}`,
      )
    return make(
      'capgo_api_unreachable',
      `Could not reach Capgo at ${baseUrl} (${error.detail}) while trying to ${ctx.action}; check the Capgo API URL and the network.${unsure}`,
    )
  }
  if (error instanceof UnexpectedAnswer) {
    return make(
      'capgo_response_invalid',
      `Capgo ${describeFailure(error)} while trying to ${ctx.action}; is ${baseUrl} a Capgo API?${unsure}`,
      'capgo-api-url',
    )
  }
  if (!(error instanceof HttpFailure)) {
    return make(
      'capgo_call_failed',
      `Capgo call failed while trying to ${ctx.action}: ${describeFailure(error)}.${unsure}`,
    )
  }

  const { status, apiCode: code = '' } = error
  const apiMessage = error.apiMessage ?? ''
  const app = ctx.appId
  if (status === 401 && code === 'no_key_provided') {
    return make(
      'capgo_api_key_missing',
      'Capgo received no API key (no_key_provided): set capgo-api-key to a Capgo API key (sent raw in the authorization header).',
      'capgo-api-key',
    )
  }
  if (status === 401 || code === 'invalid_apikey') {
    return make(
      'capgo_api_key_invalid',
      `Capgo rejected the API key (${code || `HTTP ${status}`}): check that capgo-api-key holds a current key from Capgo > API keys (the raw key, no "Bearer" prefix).`,
      'capgo-api-key',
    )
  }
  if (
    status === 403 ||
    /permission|not_authori[sz]ed|forbidden|access_denied/i.test(code) ||
    /can'?t access this app|cannot access/i.test(apiMessage)
  ) {
    return make(
      'capgo_permission_denied',
      `The Capgo API key is not allowed to ${ctx.action} for app ${app} (${code || `HTTP ${status}`}${apiMessage ? `: ${apiMessage}` : ''}). ` +
        'Give the key the upload right (mode "upload", "write" or "all"; RBAC permission app.upload_bundle), and if the key is limited to some apps, add this one. Also check that app-id is right.',
      'capgo-api-key',
    )
  }
  if (status === 429) {
    const wait = error.retryAfterMs === undefined ? '' : ` (it asked to wait ${seconds(error.retryAfterMs)})`
    return make(
      'capgo_rate_limited',
      `Capgo kept refusing with 429 too_many_requests${wait} while trying to ${ctx.action}: the API key's rate limit (about 100 requests a minute) is exhausted, maybe by other jobs using the same key. Try again later.${unsure}`,
    )
  }
  switch (code) {
    case 'cannot_find_app':
      return make(
        'capgo_app_not_found',
        `Capgo has no app ${app} visible to this API key (cannot_find_app): check app-id, or create the app in Capgo first (npx @capgo/cli app add ${app}).`,
        'app-id',
      )
    case 'invalid_app_id':
    case 'missing_app_id':
      return make(
        'capgo_app_id_invalid',
        `Capgo refused the app id "${app}" (${code}): it must be a reverse-domain id such as com.example.app.`,
        'app-id',
      )
    case 'invalid_version_format':
    case 'invalid_version':
    case 'missing_version':
      return make(
        'capgo_version_invalid',
        `Capgo refused version "${ctx.version ?? ''}" (${code}): it must be semver, such as 1.2.3 or 1.2.3-beta.1.`,
        'version',
      )
    case 'invalid_protocol':
    case 'missing_external_url':
      return make(
        'capgo_bundle_url_invalid',
        `Capgo refused the bundle URL ${ctx.externalUrl ? safeUrl(ctx.externalUrl) : '(none)'} (${code}): external bundle URLs must be https://. Check public-url.`,
        'public-url',
      )
    case 'encryption_required':
      return make(
        'capgo_encryption_required',
        `The Capgo organization owning ${app} enforces encrypted bundles and saw no session_key (encryption_required). Publish with the signing key configured (every bundle must carry a session key).`,
        'private-key',
      )
    case 'encryption_key_required':
    case 'encryption_key_mismatch': {
      const prefix = expectedPrefix(error.body)
      return make(
        'capgo_encryption_key_mismatch',
        `The Capgo organization owning ${app} requires bundles encrypted with one specific key (${code}); this bundle was signed with key_id ${ctx.keyId || '(none)'}. ` +
          `Sign with the private key whose public key${prefix ? ` starts with ${prefix}` : ' matches the required key'} (see the organization's security settings in Capgo), and ship that public key in the app.`,
        'private-key',
      )
    }
    case 'cannot_find_version':
      return make(
        'capgo_version_missing',
        `Capgo cannot find version ${ctx.version ?? ''} of ${app} (cannot_find_version) while trying to ${ctx.action}.${unsure}`,
        'version',
      )
    case 'cannot_create_bundle':
      return make(
        'capgo_bundle_create_failed',
        `Capgo could not create bundle ${ctx.version ?? ''} for ${app} (cannot_create_bundle${apiMessage ? `: ${apiMessage}` : ''}). Check the API key's rights on this app, then retry.`,
      )
  }
  if (status >= 500) {
    return make(
      'capgo_server_failed',
      `Capgo kept failing with HTTP ${status}${code ? ` ${code}` : ''} on ${error.method} ${error.path} (tried ${attempts} times) while trying to ${ctx.action}: ${error.excerpt}.${unsure}`,
    )
  }
  if (status >= 300 && status < 400) {
    return make(
      'capgo_api_url_redirected',
      `Capgo answered ${error.method} ${error.path} with a redirect (HTTP ${status}); set the Capgo API URL to the final API address (redirects are not followed so the API key is not forwarded).`,
      'capgo-api-url',
    )
  }
  return make(
    'capgo_http_failed',
    `Capgo answered HTTP ${status}${code ? ` ${code}` : ' (no error code)'} to ${error.method} ${error.path} while trying to ${ctx.action}: ${error.excerpt}${unsure}`,
  )
}

/** The required key prefix Capgo reports with encryption_key_mismatch, if any. */
function expectedPrefix(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined
  const record = body as Record<string, unknown>
  for (const holder of [record, record.moreInfo, record.more_info, record.data]) {
    if (holder && typeof holder === 'object') {
      const value = (holder as Record<string, unknown>).expected_key_prefix
      if (typeof value === 'string' && value) return value
    }
  }
  return undefined
}
