/**
 * Hides secrets from `/proc/<pid>/environ` and `/proc/<pid>/cmdline` of this process. On Linux any
 * process of the same user (so the build and everything it starts) can read both, and they show the
 * process's INITIAL environment and arguments, whatever `delete process.env[...]` did since: the
 * kernel reads them from the strings at the top of the stack (env_start..env_end and
 * arg_start..arg_end, fields 50/51 and 48/49 of /proc/self/stat). A process may write its own
 * memory through /proc/self/mem, so the entries that hold a secret are overwritten there with zeros.
 *
 * Variables still needed are first copied to the heap (setenv), which /proc/<pid>/environ never
 * shows; process.env keeps working. Reading another process's heap needs ptrace rights, which
 * Yama (ptrace_scope >= 1, Ubuntu's default) refuses to a descendant.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'
import { holdsSecret } from '../core/build.js'

export interface ScrubRules {
  /** Secret values: an entry holding any of them (as a whole or, when >= 8 chars, inside) is erased. */
  secrets: readonly string[]
  /** Environment names erased whatever their value (INPUT_*, runner tokens). */
  eraseName: (name: string) => boolean
  /** Environment names removed from process.env too (not kept on the heap). */
  forgetName?: (name: string) => boolean
}

export type ScrubOutcome = { ok: true; erasedEnv: string[]; erasedArgs: number } | { ok: false; reason: string }

export interface ScrubFiles {
  readText: (file: string) => string
  readBytes: (file: string) => Buffer
  /** Reads `length` bytes at `address` of /proc/self/mem. */
  readMemory: (address: number, length: number) => Buffer
  writeMemory: (address: number, bytes: Buffer) => void
}

/** Linux only: erase secret-bearing entries, then read /proc/self/environ and cmdline back to check. */
export function scrubProcessMemory(
  rules: ScrubRules,
  files: ScrubFiles = procFiles(),
  env: NodeJS.ProcessEnv = process.env,
): ScrubOutcome {
  if (process.platform !== 'linux') return { ok: false, reason: `${process.platform} has no /proc/self/mem` }
  const secrets = rules.secrets.filter((value) => value.length > 0)
  // An environ entry is NAME=value: a short secret is found as a whole value too.
  const heldIn = (text: string) => holdsSecret(text, secrets) || secrets.some((secret) => text.endsWith(`=${secret}`))
  try {
    const stat = files.readText('/proc/self/stat')
    // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(' ')
    const field = (n: number) => Number(fields[n - 3])
    const regions = [
      { kind: 'env' as const, start: field(50), end: field(51) },
      { kind: 'arg' as const, start: field(48), end: field(49) },
    ]
    if (regions.some((r) => !Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.end <= r.start)) {
      return { ok: false, reason: '/proc/self/stat has no usable env_start/env_end' }
    }
    const erasedEnv: string[] = []
    let erasedArgs = 0
    for (const region of regions) {
      const bytes = files.readMemory(region.start, region.end - region.start)
      let at = 0
      while (at < bytes.length) {
        let end = bytes.indexOf(0, at)
        if (end < 0) end = bytes.length
        const entry = bytes.subarray(at, end).toString('utf8')
        const name = region.kind === 'env' ? entry.slice(0, Math.max(entry.indexOf('='), 0)) : ''
        const erase = region.kind === 'env' ? (name !== '' && rules.eraseName(name)) || heldIn(entry) : heldIn(entry)
        if (erase && end > at) {
          if (region.kind === 'env') {
            const value = env[name]
            // Re-set first: the live value moves to the heap, so zeroing the stack copy changes nothing for us.
            if (value !== undefined) {
              delete env[name]
              if (!rules.forgetName?.(name)) env[name] = value
            }
            erasedEnv.push(name)
          } else {
            erasedArgs++
          }
          files.writeMemory(region.start + at, Buffer.alloc(end - at))
        }
        at = end + 1
      }
    }
    const leftover = [files.readBytes('/proc/self/environ'), files.readBytes('/proc/self/cmdline')]
      .flatMap((buffer) => buffer.toString('utf8').split('\0'))
      .find(
        (entry) => entry !== '' && (heldIn(entry) || rules.eraseName(entry.slice(0, Math.max(entry.indexOf('='), 0)))),
      )
    if (leftover !== undefined)
      return { ok: false, reason: 'a secret still shows in /proc/self/environ after the overwrite' }
    return { ok: true, erasedEnv, erasedArgs }
  } catch (error) {
    return {
      ok: false,
      reason: `/proc/self/mem is not writable here (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    }
  }
}

function procFiles(): ScrubFiles {
  return {
    readText: (file) => readFileSync(file, 'utf8'),
    readBytes: (file) => readFileSync(file),
    readMemory: (address, length) => {
      const fd = openSync('/proc/self/mem', 'r')
      try {
        const buffer = Buffer.alloc(length)
        readSync(fd, buffer, 0, length, address)
        return buffer
      } finally {
        closeSync(fd)
      }
    },
    writeMemory: (address, bytes) => {
      const fd = openSync('/proc/self/mem', 'r+')
      try {
        writeSync(fd, bytes, 0, bytes.length, address)
      } finally {
        closeSync(fd)
      }
    },
  }
}
