// `npm run bench:upload` (= `bench:publish`): end-to-end `live-update publish` to the loopback S3
// server (Swift), for 64 MB and 256 MB web builds (3/4 incompressible media, 1/4 a synthetic text
// build): time per stage (bundle, upload, verify), upload throughput, peak RSS (must stay flat as
// the bundle grows). Then, side by side on each published object, alternating, each in a fresh
// process: our verify vs the floor (plain download + AES-128-CBC + SHA-256 of the same URL), with
// medians and the ratio (target <= 1.2x). Needs `bash scripts/s3-server.sh start`.
// Env: BENCH_RUNS (3), BENCH_VERIFY_RUNS (5 per published object), BENCH_SIZES ("64,256"),
// BENCH_BEFORE (a bundled verify core of another commit, e.g. `npx esbuild <checkout of 2fb06d5>/src/core/verify.ts
// --bundle --platform=node --format=esm --outfile=bench/out/verify-core-old.mjs`: a third column).
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import http from 'node:http'
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { build } from 'esbuild'
import { makeWebApp } from './make-webapp.mjs'
import { median } from './stats.mjs'
import { WORKER_ENTRIES } from '../scripts/worker-entries.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(repo, 'bench', 'out', 'upload')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const verifyRuns = Number(process.env.BENCH_VERIFY_RUNS ?? 5)
const sizes = (process.env.BENCH_SIZES ?? '64,256').split(',').map(Number)
const endpoint = process.env.LIVE_UPDATE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:8080'
const bucket = `bench-${Date.now()}`
const cli = path.join(repo, 'dist', 'cli.js')

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' },
})
await client.send(new CreateBucketCommand({ Bucket: bucket }))
// Devices download without credentials: a small front (like a CDN in front of a private bucket)
// serves GETs from the bucket; the verify stage downloads through it.
const front = http.createServer(async (request, response) => {
  try {
    const object = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: decodeURIComponent(new URL(request.url, 'http://x').pathname.slice(1)),
      }),
    )
    response.writeHead(200, { 'content-length': object.ContentLength })
    object.Body.pipe(response)
  } catch (error) {
    response.writeHead(error.$metadata?.httpStatusCode ?? 500).end()
  }
})
await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
const publicUrl = `http://127.0.0.1:${front.address().port}/{key}`

function runProcess(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

async function makeApp(dir, megabytes) {
  await rm(dir, { recursive: true, force: true })
  // A quarter is a web build (deflated entries: the verifier inflates and CRCs them), the rest media.
  await makeWebApp(dir, { megabytes: megabytes / 4, files: Math.round(megabytes * 8) })
  await mkdir(path.join(dir, 'media'), { recursive: true })
  for (let i = 0; i < (megabytes * 3) / 16; i++)
    await writeFile(path.join(dir, 'media', `clip${i}.mp4`), randomBytes(4 * 1024 * 1024))
}

/** One timed verify or floor run in a fresh process (see verify-child.mjs). */
async function timedChild(mode, json, keyFile) {
  const env = mode === 'before' ? { ...process.env, VERIFY_CORE: path.resolve(process.env.BENCH_BEFORE) } : process.env
  const result = await runProcess(
    process.execPath,
    [
      path.join(repo, 'bench', 'verify-child.mjs'),
      mode === 'before' ? 'verify' : mode,
      json.bundleUrl,
      json.bundle.sessionKey,
      json.bundle.checksum,
      keyFile,
      String(json.bundle.encryptedSize),
    ],
    env,
  )
  if (result.status !== 0) throw new Error(`${mode}: ${result.stderr.slice(-2000)}`)
  return JSON.parse(result.stdout)
}

// The verifier as the CLI and the action run it, bundled from src for the child processes.
await mkdir(out, { recursive: true })
await build({
  entryPoints: [path.join(repo, 'src', 'core', 'verify.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: path.join(repo, 'bench', 'out', 'verify-core.mjs'),
  logLevel: 'warning',
})
// The bundled core starts its workers from ./<name>.js beside it.
await build({
  entryPoints: Object.fromEntries(Object.entries(WORKER_ENTRIES).map(([name, file]) => [name, path.join(repo, file)])),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: path.join(repo, 'bench', 'out'),
  logLevel: 'warning',
})

spawnSync(process.execPath, [cli, 'key', 'create', '--dir', out, '--force'], { stdio: 'ignore' })
const rows = []
for (const megabytes of sizes) {
  const web = path.join(out, `www-${megabytes}`)
  await makeApp(web, megabytes)
  const samples = []
  let published
  for (let run = 0; run < runs; run++) {
    const version = `1.0.${Date.now() % 1_000_000}-r${run}`
    // Asynchronous: the front above must keep serving while the publish downloads through it.
    const result = await runProcess('/usr/bin/time', [
      '-v',
      process.execPath,
      cli,
      'publish',
      '--json',
      '--app-id',
      'com.example.bench',
      '--path',
      web,
      '--version',
      version,
      '--private-key-file',
      path.join(out, '.capgo_key_v2'),
      '--storage',
      's3',
      '--s3-bucket',
      bucket,
      '--s3-endpoint',
      endpoint,
      '--s3-force-path-style',
      'true',
      '--s3-access-key-id',
      'test:tester',
      '--s3-secret-access-key',
      'testing',
      '--public-url',
      publicUrl,
      '--server',
      'none',
    ])
    if (result.status !== 0) throw new Error(result.stderr.slice(-3000))
    const json = JSON.parse(result.stdout)
    const stage = Object.fromEntries(json.timings.map((timing) => [timing.stage, timing.ms]))
    const rssMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)[1]) / 1024
    samples.push({ stage, rssMb, size: json.bundle.encryptedSize })
    console.log(`${megabytes} MB run ${run + 1}: ${JSON.stringify(stage)} peak RSS ${rssMb.toFixed(0)} MB`)
    if (run === 0) published = json
  }
  // Side by side on the same object: alternate the order so neither always goes first.
  const keyFile = path.join(out, '.capgo_key_v2.pub')
  const verifyMs = []
  const floorMs = []
  const verifyRss = []
  const floorRss = []
  const verifyCpu = []
  const floorCpu = []
  const beforeMs = []
  for (let run = 0; run < verifyRuns; run++) {
    const modes = run % 2 ? ['verify', 'floor'] : ['floor', 'verify']
    if (process.env.BENCH_BEFORE) modes.splice(run % 3, 0, 'before')
    for (const mode of modes) {
      const { ms, cpuMs, rssMb } = await timedChild(mode, published, keyFile)
      if (mode === 'before') {
        beforeMs.push(ms)
        continue
      }
      ;(mode === 'verify' ? verifyMs : floorMs).push(ms)
      ;(mode === 'verify' ? verifyCpu : floorCpu).push(cpuMs)
      ;(mode === 'verify' ? verifyRss : floorRss).push(rssMb)
    }
  }
  console.log(
    `${megabytes} MB verify ${verifyMs.map((v) => v.toFixed(0)).join(' ')} ms; floor ${floorMs.map((v) => v.toFixed(0)).join(' ')} ms`,
  )
  const size = samples[0].size
  const upload = median(samples.map((s) => s.stage.upload))
  rows.push({
    megabytes,
    size,
    uploadMs: upload,
    uploadMBps: size / 1e6 / (upload / 1000),
    rssMb: median(samples.map((s) => s.rssMb)),
    verifyMs: median(verifyMs),
    floorMs: median(floorMs),
    verifyRssMb: median(verifyRss),
    floorRssMb: median(floorRss),
    verifyCpuMs: median(verifyCpu),
    floorCpuMs: median(floorCpu),
    beforeMs: beforeMs.length ? median(beforeMs) : undefined,
    stages: Object.fromEntries(
      Object.keys(samples[0].stage).map((name) => [name, median(samples.map((s) => s.stage[name]))]),
    ),
  })
  await rm(web, { recursive: true, force: true })
}
const table = [
  '| bundle | encrypted size | upload (median) | throughput | peak RSS | keys | bundle | lookup | upload | verify | register |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.megabytes} MB | ${(r.size / 1048576).toFixed(1)} MiB | ${r.uploadMs} ms | ${r.uploadMBps.toFixed(1)} MB/s | ${r.rssMb.toFixed(0)} MB | ${r.stages.keys} ms | ${r.stages.bundle} ms | ${r.stages.lookup} ms | ${r.stages.upload} ms | ${r.stages.verify} ms | ${r.stages.register} ms |`,
  ),
].join('\n')
const sideBySide = [
  '| bundle | encrypted size | verify (median) | download + AES + SHA (median) | verify / floor | CPU verify / floor | peak RSS verify | peak RSS floor |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.megabytes} MB | ${(r.size / 1048576).toFixed(1)} MiB | ${r.verifyMs.toFixed(0)} ms | ${r.floorMs.toFixed(0)} ms | ${(r.verifyMs / r.floorMs).toFixed(2)}x | ${r.verifyCpuMs.toFixed(0)} / ${r.floorCpuMs.toFixed(0)} ms | ${r.verifyRssMb.toFixed(0)} MB | ${r.floorRssMb.toFixed(0)} MB |`,
  ),
].join('\n')
const before =
  rows[0]?.beforeMs === undefined
    ? ''
    : `\n\nbefore (${process.env.BENCH_BEFORE}): ${rows.map((r) => `${r.megabytes} MB ${r.beforeMs.toFixed(0)} ms = ${(r.beforeMs / r.floorMs).toFixed(2)}x the floor`).join('; ')}`
const rss =
  rows.length > 1
    ? `\npeak RSS ${rows.at(-1).megabytes} MB / ${rows[0].megabytes} MB: publish ${(rows.at(-1).rssMb / rows[0].rssMb).toFixed(2)}x, verify ${(rows.at(-1).verifyRssMb / rows[0].verifyRssMb).toFixed(2)}x`
    : ''
console.log(`\n${table}\n\n${sideBySide}${before}\n${rss}`)
await writeFile(path.join(out, 'results.md'), `${table}\n\n${sideBySide}${before}\n${rss}\n`)
front.close()
