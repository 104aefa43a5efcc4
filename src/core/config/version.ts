import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { inputError } from '../errors.js'
import { assertSemver, isSemver } from '../version.js'
import type { Inputs } from './reader.js'

export interface ResolvedVersion {
  version: string
  /** Where it came from, for the log: the input, the tag, or package.json. */
  source: string
}

/** `v1.2.3` and `V1.2.3` -> `1.2.3` (tags and `${{ github.ref_name }}` carry the v). */
function dropV(value: string): string {
  return /^[vV]\d/.test(value) ? value.slice(1) : value
}

/**
 * The version: the `version` input, else a pushed tag (after `tag-prefix`), else package.json. A
 * pushed tag that is not a version fails, naming the tag: falling back to package.json would
 * publish under a version nobody asked for.
 */
export async function resolveVersion(
  inputs: Inputs,
  ref: string | undefined,
  workingDirectory: string,
): Promise<ResolvedVersion> {
  const explicit = inputs.read('version')
  if (explicit) return { version: normalizeVersion(explicit), source: '{{version}}' }
  const tag = /^refs\/tags\/(.+)$/.exec(ref ?? '')?.[1]
  if (tag) return { version: versionOfTag(tag, inputs), source: `the tag ${tag}` }
  return { version: assertSemver(await packageVersion(workingDirectory), 'version'), source: 'package.json' }
}

function versionOfTag(tag: string, inputs: Inputs): string {
  const prefix = inputs.read('tag-prefix') ?? ''
  let rest = tag
  if (prefix && tag.startsWith(prefix)) {
    rest = tag.slice(prefix.length)
  } else if (prefix && inputs.given('tag-prefix')) {
    throw inputError(
      'tag-prefix',
      'input_tag_invalid',
      `The pushed tag '${tag}' does not start with {{tag-prefix}} '${prefix}'. Push a tag like ${prefix}1.2.3, change {{tag-prefix}}, or set {{version}}.`,
    )
  }
  const version = dropV(rest)
  if (!isSemver(version) || version === '0.0.0') {
    throw inputError(
      'version',
      'input_tag_invalid',
      `The pushed tag '${tag}' does not hold a semantic version${prefix ? ` after the prefix '${prefix}'` : ''}: '${version}' is not like 1.2.3 or 1.2.3-beta.1. Push a tag like ${prefix || 'v'}1.2.3, set {{tag-prefix}} (e.g. mobile-v for mobile-v1.2.3), or set {{version}}.`,
    )
  }
  return version
}

async function packageVersion(dir: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: string }
    if (pkg.version) return pkg.version
  } catch {
    // fall through to the error below
  }
  throw inputError(
    'version',
    'input_version_missing',
    'Set {{version}}, push a tag like v1.2.3, or give package.json a version.',
  )
}

/** A version as given by a user (`v1.2.3` or `1.2.3`), checked: what `version` inputs and flags take. */
export function normalizeVersion(value: string, field = 'version'): string {
  return assertSemver(dropV(value.trim()), field)
}
