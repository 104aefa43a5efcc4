/**
 * Typed access to raw input values: defaults from the input table, trimming, and the one parser
 * per kind (boolean, int, choice), each failing with a message that names the field.
 */
import type { InputErrorCode } from '../error-codes.js'
import { inputError } from '../errors.js'
import { INPUT_DEFAULTS, inputSpec, type InputName } from '../inputs/index.js'
import { secretParts } from './secrets.js'

/** Reads one input by its name (`s3-bucket`); empty string or undefined when unset. */
export type InputReader = (name: InputName) => string | undefined

export interface Inputs {
  /** The trimmed value, else the table's default, else undefined. */
  read(name: InputName): string | undefined
  /** True when the user gave a non-empty value (defaults do not count). */
  given(name: InputName): boolean
  /** A secret value (not trimmed inside; recorded for masking), or undefined. */
  secret(name: InputName): string | undefined
  bool(name: InputName): boolean
  /** `code` names the input's own mistake (each whole-number input has one in the catalogue). */
  int(name: InputName, code: InputErrorCode, hint?: string): number
  choice<T extends string>(name: InputName): T
  /** Every secret value read so far and its parts (for the log masker). */
  readonly secrets: string[]
}

export function createInputs(readRaw: InputReader): Inputs {
  const secrets: string[] = []
  const raw = (name: InputName): string | undefined => {
    const value = readRaw(name)?.trim()
    return value ? value : undefined
  }
  const read = (name: InputName): string | undefined => raw(name) ?? INPUT_DEFAULTS[name]
  return {
    secrets,
    read,
    given: (name) => raw(name) !== undefined,
    secret(name) {
      const value = raw(name)
      if (value) secrets.push(...secretParts(value))
      return value
    },
    bool: (name) => parseBoolean(read(name) ?? 'false', name),
    int(name, code, hint = '') {
      const spec = inputSpec(name)
      const value = read(name) ?? ''
      const number = /^\d+$/.test(value) ? Number(value) : Number.NaN
      if (!Number.isInteger(number) || number < (spec.min ?? 0) || number > (spec.max ?? Number.MAX_SAFE_INTEGER)) {
        const range = spec.max === undefined ? `${spec.min ?? 0} or more` : `from ${spec.min ?? 0} to ${spec.max}`
        throw inputError(name, code, `{{${name}}} must be a whole number ${range}${hint}; got '${value}'.`)
      }
      return number
    },
    choice<T extends string>(name: InputName): T {
      const allowed = inputSpec(name).choices ?? []
      const value = read(name) ?? ''
      if (!allowed.includes(value))
        throw inputError(
          name,
          'input_choice_invalid',
          `{{${name}}} must be one of ${allowed.join(', ')}; got '${value}'.`,
        )
      return value as T
    },
  }
}

/**
 * true/yes/1/on and false/no/0/off, any case: wider than the toolkit's getBooleanInput (YAML 1.2
 * core only), on purpose, because the CLI and env files write `1`/`0` and `yes`/`no`.
 */
export function parseBoolean(value: string, name: string): boolean {
  const normalized = value.trim().toLowerCase()
  if (['true', 'yes', '1', 'on'].includes(normalized)) return true
  if (['false', 'no', '0', 'off'].includes(normalized)) return false
  throw inputError(name, 'input_boolean_invalid', `{{${name}}} must be true or false; got '${value}'.`)
}
