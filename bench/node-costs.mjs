// `npm run bench:node-costs [-- folder]`: two costs of Node itself that bound how close a bundle can
// get to the deflate floor (docs/bundling.md, "What the floors say"), measured in fresh processes:
// - starting an empty worker_threads worker (wall time to its first message, CPU of the process);
// - deflating every file of a folder on libuv's pool (`zlib.deflateRaw`, one call per file, an
//   output buffer of the file's deflate bound) against `deflateRawSync` on one thread.
// Without a folder it makes the 100 MiB bench build (bench/make-webapp.mjs) in bench/out/costs.
// Env: BENCH_RUNS (default 3).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import zlib from 'node:zlib'
import { listFiles } from './floor.mjs'
import { makeWebApp } from './make-webapp.mjs'
import { median } from './stats.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 3)
const [mode, arg] = process.argv.slice(2)

if (mode === '--child-worker') {
  const started = performance.now()
  const cpu = process.cpuUsage()
  const code = "require('node:worker_threads').parentPort.postMessage(0)"
  const firstMessages = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve) => {
          const worker = new Worker(code, { eval: true })
          worker.once('message', () => {
            resolve(performance.now() - started)
            worker.terminate()
          })
        }),
    ),
  )
  const used = process.cpuUsage(cpu)
  console.log(JSON.stringify({ ms: Math.max(...firstMessages), cpuMs: (used.user + used.system) / 1000 }))
} else if (mode === '--child-deflate') {
  const files = listFiles(process.argv[4])
  const contents = files.map((file) => readFileSync(file))
  const started = performance.now()
  const cpu = process.cpuUsage()
  if (arg === 'sync') for (const content of contents) zlib.deflateRawSync(content, { level: 6 })
  else {
    // A few calls in flight, as many threads as cores: the pool never waits for the main thread.
    let next = 0
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < contents.length) {
          const content = contents[next++]
          const chunkSize = Math.max(64, content.length + (content.length >> 10) + 64)
          await new Promise((resolve, reject) =>
            zlib.deflateRaw(content, { level: 6, chunkSize }, (error) => (error ? reject(error) : resolve())),
          )
        }
      }),
    )
  }
  const used = process.cpuUsage(cpu)
  console.log(
    JSON.stringify({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, files: files.length }),
  )
} else {
  let folder = mode
  if (!folder) {
    folder = path.join(here, 'out', 'costs', 'www')
    await rm(path.dirname(folder), { recursive: true, force: true })
    await makeWebApp(folder, { megabytes: 100, files: 3900 })
  }
  const cores = os.availableParallelism()
  const child = (args, env = {}) =>
    JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }),
    )
  const rows = { worker: [], sync: [], pool: [] }
  for (let run = 0; run < runs; run++) {
    rows.worker.push(child(['--child-worker']))
    rows.sync.push(child(['--child-deflate', 'sync', folder]))
    rows.pool.push(child(['--child-deflate', 'pool', folder], { UV_THREADPOOL_SIZE: String(cores) }))
  }
  const med = (list, field) => median(list.map((row) => row[field])).toFixed(0)
  const files = rows.sync[0].files
  console.log(`node ${process.version}, ${cores} cores, medians of ${runs}`)
  console.log(
    `two empty workers, to their first message: ${med(rows.worker, 'ms')} ms, ${med(rows.worker, 'cpuMs')} ms CPU (the whole process)`,
  )
  console.log(`deflate of ${files} files, one thread: ${med(rows.sync, 'ms')} ms, ${med(rows.sync, 'cpuMs')} ms CPU`)
  console.log(
    `deflate of ${files} files, libuv's pool (${cores} threads): ${med(rows.pool, 'ms')} ms, ${med(rows.pool, 'cpuMs')} ms CPU`,
  )
  const extra = (median(rows.pool.map((r) => r.cpuMs)) - median(rows.sync.map((r) => r.cpuMs))) / files
  console.log(`the pool's extra CPU per call: ${(extra * 1000).toFixed(0)} µs`)
}
