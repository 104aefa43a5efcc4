/**
 * Starts the bundled action (or CLI) as a child process the way run-action.ts does, lets a test
 * wait for a moment (a log line, a request reaching a server) and send SIGINT/SIGTERM, then look
 * at what is left: RUNNER_TEMP and TMPDIR are folders of the test's own, kept until `cleanup()`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ACTION_ENTRY, CLI_ENTRY, parseOutputFile } from './run-action.js'

export interface Interruptible {
  child: ChildProcess
  runnerTemp: string
  tmpDir: string
  stdout(): string
  stderr(): string
  /** Resolves once `test` holds (polled every 20 ms); fails after `timeoutMs` with what was printed. */
  waitUntil(test: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>
  /** Sends the signal; resolves with the exit code and the ms from the signal to the exit. */
  interrupt(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }>
  exited: Promise<number | null>
  summary(): Promise<string>
  outputs(): Promise<Record<string, string>>
  /** Files and folders left in RUNNER_TEMP (besides the runner's own files) and TMPDIR. */
  leftovers(): Promise<string[]>
  cleanup(): Promise<void>
}

const RUNNER_FILES = new Set(['output', 'summary', 'event.json'])

async function start(entry: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Interruptible> {
  const runnerTemp = await mkdtemp(path.join(os.tmpdir(), 'live-update-interrupt-'))
  const tmpDir = path.join(runnerTemp, '..', `${path.basename(runnerTemp)}-tmp`)
  await mkdir(tmpDir)
  const outputFile = path.join(runnerTemp, 'output')
  const summaryFile = path.join(runnerTemp, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  await writeFile(path.join(runnerTemp, 'event.json'), '{}')
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: cwd ?? runnerTemp,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? runnerTemp,
      TMPDIR: tmpDir,
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_EVENT_PATH: path.join(runnerTemp, 'event.json'),
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_SHA: 'f00dfeedbeefcafe0123456789abcdef01234567',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  let exitedAt = 0
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedAt = Date.now()
      if (signal) stderr += `\n[test: the process was ended by ${signal}]`
      resolve(code ?? (signal ? -1 : null))
    }),
  )
  let running = true
  void exited.then(() => (running = false))
  return {
    child,
    runnerTemp,
    tmpDir,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitUntil(test, what, timeoutMs = 60000) {
      const deadline = Date.now() + timeoutMs
      while (!(await test())) {
        if (!running)
          throw new Error(`The process exited before ${what}:\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`)
        if (Date.now() > deadline)
          throw new Error(`Timed out waiting for ${what}:\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async interrupt(signal) {
      const sent = Date.now()
      child.kill(signal)
      // The runner's SIGKILL would come ~10 s after SIGINT: the test allows no more than that.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000)
      const code = await exited
      clearTimeout(timer)
      return { code, ms: exitedAt - sent }
    },
    summary: () => readFile(summaryFile, 'utf8'),
    outputs: async () => parseOutputFile(await readFile(outputFile, 'utf8')),
    async leftovers() {
      const left = (await readdir(runnerTemp))
        .filter((name) => !RUNNER_FILES.has(name))
        .map((name) => `RUNNER_TEMP/${name}`)
      left.push(...(await readdir(tmpDir)).map((name) => `TMPDIR/${name}`))
      return left
    },
    async cleanup() {
      if (running) child.kill('SIGKILL')
      await exited
      await rm(runnerTemp, { recursive: true, force: true })
      await rm(tmpDir, { recursive: true, force: true })
    },
  }
}

/** The action with inputs as INPUT_<NAME>. */
export function startAction(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<Interruptible> {
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
  )
  return start(ACTION_ENTRY, [], { ...env, ...inputEnv })
}

export function startCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Interruptible> {
  return start(CLI_ENTRY, args, env, cwd)
}

/** An HTTP server that takes requests and never answers them: holds a download or a webhook call in flight. */
export async function startBlackHole(): Promise<{
  url: string
  requests: { method: string; url: string }[]
  close(): Promise<void>
}> {
  const requests: { method: string; url: string }[] = []
  const sockets = new Set<Socket>()
  const server = http.createServer((req) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' })
    req.resume()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
