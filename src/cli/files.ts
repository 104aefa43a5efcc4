import { UsageError } from './io.js'

export function required(value: string | boolean | undefined, flag: string, command: string): string {
  if (typeof value !== 'string' || value === '')
    throw new UsageError(`missing --${flag}. Run 'live-update ${command} --help' for usage.`)
  return value
}
