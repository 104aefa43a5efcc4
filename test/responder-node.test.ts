/**
 * The Node entry point as users run it: `node dist/cli.js serve` (built by `npm run bundle`),
 * answering device requests over loopback HTTP with state read from the S3 bucket.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { responderScenarios, type EntryEnv } from './support/responder-scenarios.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

async function startServe(env: EntryEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--state-url', env.STATE_URL, '--port', '0', '--cache-ttl', env.CACHE_TTL_SECONDS], {
    env: { ...process.env, STATE_URL: '', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
  return { child, url }
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
