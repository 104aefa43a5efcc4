/**
 * The bundled CLI (dist/cli.js) run as a user runs it: a whole `node` process with real files,
 * and a device-style decryption of its output by OpenSSL alone (no project code involved).
 */
import { spawn } from 'node:child_process'
import os from 'node:os'
import { opensslAesDecrypt, opensslVerifyRecover } from './openssl.js'
import { CLI_ENTRY } from './run-action.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** `node dist/cli.js ...args` in `cwd`, stdin closed; resolves with the exit code and output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; wrapper?: string[] } = {},
): Promise<CliRun> {
  // `wrapper` runs node under another command (e.g. setpriv to drop root).
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath]
  const child = spawn(command, [...prefix, CLI_ENTRY, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: options.env ?? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status, signal) => resolve(status ?? (signal ? 128 : 1)))
  })
  return { code, stdout, stderr }
}

/**
 * What a device does, with OpenSSL: unwrap the AES key from the session key with the public key
 * (PKCS#1 v1.5 verify-recover), then AES-128-CBC decrypt the file. Returns the plaintext zip.
 */
export async function opensslDecryptBundle(
  scratchDir: string,
  encryptedFile: string,
  sessionKey: string,
  publicKeyFile: string,
): Promise<Buffer> {
  const [ivBase64, wrappedBase64] = sessionKey.split(':')
  const aesKey = await opensslVerifyRecover(scratchDir, publicKeyFile, Buffer.from(wrappedBase64, 'base64'))
  if (aesKey.length !== 16) throw new Error(`recovered AES key has ${aesKey.length} bytes, expected 16`)
  return opensslAesDecrypt(encryptedFile, aesKey, Buffer.from(ivBase64, 'base64'))
}

/** The non-header lines of a PEM: the key material that must never show up in any output. */
export function pemBodyLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('-----') && !/^[A-Za-z-]+:/.test(line))
}
