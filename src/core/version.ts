import { inputError } from './errors.js'

// semver.org's reference pattern: what Capgo and the plugin compare versions with.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

export function isSemver(version: string): boolean {
  return SEMVER.test(version)
}

export function assertSemver(version: string, input = 'version'): string {
  if (!isSemver(version)) {
    throw inputError(
      input,
      'input_version_invalid',
      `{{${input}}} must be a semantic version such as 1.2.3 or 1.2.3-beta.1 (a leading v is dropped); got '${version}'.`,
    )
  }
  if (version === '0.0.0') {
    throw inputError(input, 'input_version_invalid', `{{${input}}} must be greater than 0.0.0 (Capgo refuses 0.0.0).`)
  }
  return version
}

/** `refs/tags/v1.2.3` or `refs/tags/1.2.3` -> `1.2.3`; anything else -> undefined. */
export function versionFromTagRef(ref: string | undefined): string | undefined {
  const match = /^refs\/tags\/v?(.+)$/.exec(ref ?? '')
  return match && isSemver(match[1]) ? match[1] : undefined
}
