import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { inputError } from '../core/errors.js'
import { UsageError } from './io.js'

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing --${flag}. Run 'live-update --help' for usage.`)
  return value
}

/** Reads a file named by a flag, with an error that names the flag. */
export async function readFlagFile(cwd: string, file: string, flag: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), 'utf8')
  } catch {
    throw inputError(flag, 'input_file_unreadable', `Cannot read --${flag} file '${file}'. Check the path.`)
  }
}
