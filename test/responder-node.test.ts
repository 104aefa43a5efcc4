/**
 * The Node entry point as users run it: `node dist/cli.js serve` (built by `npm run bundle`),
 * answering device requests over loopback HTTP with state read from the S3 bucket.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import { describe, expect, test } from '@jest/globals'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { responderScenarios, type EntryEnv } from './support/responder-scenarios.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

async function startServe(env: EntryEnv): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist/cli.js'),
      'serve',
      '--state-url',
      env.STATE_URL,
      '--port',
      '0',
      '--cache-ttl',
      env.CACHE_TTL_SECONDS,
    ],
    {
      env: { ...process.env, STATE_URL: '', PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stderr?.on('data', (chunk) => (output += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output} (run npm run bundle first)`)))
  })
  return { child, url, output: () => output }
}

responderScenarios('node (live-update serve)', async (env) => {
  const { child, url } = await startServe(env)
  return {
    send: (p, init) => fetch(`${url}${p}`, init as RequestInit),
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    },
  }
})

describe('live-update serve', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', ...args], {
        env: { ...process.env, STATE_URL: '', PORT: '' },
      })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('exit', (code) => resolve({ code, stderr }))
    })

  test('bad flags are usage errors that say what to give', async () => {
    expect(await run([])).toEqual({ code: 2, stderr: expect.stringContaining('--state-url') })
    expect(await run(['--state-url', 'ftp://x'])).toEqual({ code: 2, stderr: expect.stringContaining('http(s)') })
    expect(await run(['--state-url', 'https://x', '--port', 'eighty'])).toEqual({
      code: 2,
      stderr: expect.stringContaining('--port'),
    })
    expect(await run(['--state-url', 'https://x', '--cache-ttl=-1'])).toEqual({
      code: 2,
      stderr: expect.stringContaining('--cache-ttl'),
    })
  })

  test('a 5 MB chunked body is refused with 413 after at most ~1 MiB is read, and the server keeps serving', async () => {
    const { child, url } = await startServe({ STATE_URL: 'http://127.0.0.1:9', CACHE_TTL_SECONDS: '0' })
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${url}/stats`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          },
        )
        req.on('error', reject)
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        let sent = 0
        const pump = (): void => {
          while (sent < 80) {
            sent++
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      expect(status).toBe(413)
      expect((await fetch(`${url}/health`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })

  test('stats counts reach the operator: a summary line on stop (and each minute when they moved)', async () => {
    const { child, url, output } = await startServe({ STATE_URL: 'http://127.0.0.1:9', CACHE_TTL_SECONDS: '0' })
    const info = {
      platform: 'android',
      device_id: '0b7e6c2a-8d3f-4e1a-9c5b-2f4d6a8b0c1e',
      app_id: 'com.example.app',
      action: 'download_complete',
    }
    const reply = await fetch(`${url}/stats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([info, { ...info, action: 'set' }, { junk: 1 }]),
    })
    expect(await reply.json()).toEqual({ status: 'ok', accepted: 2, rejected: 1 })
    child.kill('SIGTERM')
    await once(child, 'exit')
    expect(output()).toContain('stats since start: download_complete=1 set=1, rejected=1')
    expect(output()).toContain('live-update responder stopped')
  })
})
