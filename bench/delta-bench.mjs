// `npm run bench:delta`: delta (per-file) releases and the self-hosted responder, side by side in one run.
//  1. A typical release of a 300-chunk app (one JS chunk and index.html changed): bytes a device
//     on the previous release downloads with delta vs the full zip, and the update reply's size
//     (raw and gzip, as OkHttp/URLSession ask for it).
//  2. Publish time to the loopback S3 server (Swift), with delta vs without, alternating runs, medians.
//  3. The Node responder (`live-update serve`, dist/cli.js) under bounded load on loopback:
//     throughput, p50/p99 latency, server RSS before/after (must stay flat).
// Needs `bash scripts/s3-server.sh start` and `npm run bundle`. Env: BENCH_RUNS (5), BENCH_SECONDS (5).
import { spawn } from 'node:child_process'
import { constants, createHash, publicDecrypt } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { build } from 'esbuild'
import { median, percentile } from './stats.mjs'
import { WORKER_ENTRIES } from '../scripts/worker-entries.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(repo, 'bench', 'out', 'delta')
const runs = Number(process.env.BENCH_RUNS ?? 5)
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const endpoint = process.env.LIVE_UPDATE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:8080'
const bucket = `bench-delta-${Date.now()}`
const APP = 'com.example.bench'
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`

await mkdir(out, { recursive: true })
const libFile = path.join(out, 'delta-lib.mjs')
await build({
  entryPoints: [path.join(repo, 'bench', 'delta-lib.ts')],
  outfile: libFile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  keepNames: true,
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
// The bundled core starts its workers (deflate, zip walk, hashing) from ./<name>.js beside it.
await build({
  entryPoints: Object.fromEntries(Object.entries(WORKER_ENTRIES).map(([name, file]) => [name, path.join(repo, file)])),
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
})
const lib = await import(pathToFileURL(libFile).href)

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
await client.send(new CreateBucketCommand({ Bucket: bucket }))
// The bucket's "public URL": a small front that serves GETs (what devices and the responder read).
const front = http.createServer(async (request, response) => {
  try {
    const object = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: new URL(request.url, 'http://x').pathname.slice(1).split('/').map(decodeURIComponent).join('/'),
      }),
    )
    response.writeHead(200, { 'content-length': object.ContentLength })
    object.Body.pipe(response)
  } catch (error) {
    response.writeHead(error.$metadata?.httpStatusCode === 404 ? 404 : 502).end()
  }
})
await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${front.address().port}`
const store = lib.createStore({
  kind: 's3',
  bucket,
  region: 'us-east-1',
  endpoint,
  forcePathStyle: true,
  accessKeyId: 'test:tester',
  secretAccessKey: 'testing',
  publicUrlTemplate: `${origin}/{key}`,
})
const keys = lib.createKeyPair()
const quiet = { info() {}, warn() {}, debug() {} }
const registrar = lib.createRegistrar({ kind: 'none' })

// A typical production build: 300 JS chunks of minified-looking code (2-40 KB), index.html.
function chunkText(size, seed) {
  let x = (seed * 2654435761) >>> 0
  const words = [
    'const',
    'function',
    'return',
    'import',
    'export',
    'await',
    'props',
    'state',
    'render',
    'useEffect',
    'document',
    'length',
    'Promise',
    'resolve',
  ]
  let text = ''
  while (text.length < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    text +=
      x % 3 === 0
        ? `${words[x % words.length]}${(x >>> 8).toString(36)}(`
        : x % 5 === 0
          ? `"${(x >>> 4).toString(36)}",`
          : `${words[(x >>> 3) % words.length]}.`
  }
  return text.slice(0, size)
}
async function writeApp(dir, build) {
  await rm(dir, { recursive: true, force: true })
  await mkdir(path.join(dir, 'assets'), { recursive: true })
  await writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><script type="module" src="assets/chunk-0.js"></script><!-- build ${build} --></head><body></body></html>\n`,
  )
  for (let i = 0; i < 300; i++) {
    const size = 2000 + ((i * 7919) % 38000)
    const changed = build > 1 && i === 137 ? `/* build ${build} */` : ''
    await writeFile(
      path.join(dir, 'assets', `chunk-${i}.js`),
      (i === 0 ? 'CapacitorUpdater.notifyAppReady();' : '') + changed + chunkText(size, i + 1),
    )
  }
}

const options = (webDir, version, delta) => ({
  appId: APP,
  version,
  channel: 'production',
  webDir,
  privateKeyPem: keys.privateKeyPem,
  publicKeyPem: keys.publicKeyPem,
  requireNotifyAppReady: true,
  objectKeyTemplate: '{appId}/{version}/{hash}.zip',
  verifyUpload: true,
  dryRun: false,
  delta,
  tempDir: out,
})

// --- 1. bytes a device downloads
const v1 = path.join(out, 'www-v1')
const v2 = path.join(out, 'www-v2')
await writeApp(v1, 1)
await writeApp(v2, 2)
const _first = await lib.publish(options(v1, '1.0.0', true), { store, registrar, logger: quiet })
const second = await lib.publish(options(v2, '1.0.1', true), { store, registrar, logger: quiet })
const manifest = JSON.parse(await (await fetch(second.delta.url)).text())
const sha = (data) => createHash('sha256').update(data).digest('hex')
const held = new Set()
for (let i = 0; i < 300; i++) held.add(sha(await readFile(path.join(v1, 'assets', `chunk-${i}.js`))))
held.add(sha(await readFile(path.join(v1, 'index.html'))))
let deltaBytes = 0
const fetched = []
for (const entry of manifest) {
  const plain = publicDecrypt(
    { key: keys.publicKeyPem, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(entry.file_hash, 'hex'),
  ).toString('hex')
  if (held.has(plain)) continue
  const response = await fetch(entry.download_url)
  deltaBytes += (await response.arrayBuffer()).byteLength
  fetched.push(entry.file_name)
}
const zipBytes = second.bundle.encryptedSize

// The update reply the responder sends for 1.0.1.
const pointer = (result) => ({
  version: result.version,
  record: `${result.objectKey}.release.json`,
  url: result.bundleUrl,
  sessionKey: result.bundle.sessionKey,
  checksum: result.bundle.checksum,
  signature: '',
  keyId: result.bundle.keyId,
  zipSize: result.bundle.zipSize,
  manifestUrl: result.delta.url,
  manifestSignature: result.delta.signature,
})
const put = (key, value) =>
  client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }),
  )
await put(`live-update/${APP}/app.json`, {
  schema: 1,
  appId: APP,
  defaultChannel: 'production',
  channels: ['production'],
  updatedAt: new Date().toISOString(),
})
await put(`live-update/${APP}/channels/production.json`, {
  schema: 1,
  appId: APP,
  channel: 'production',
  revision: 1,
  updatedAt: new Date().toISOString(),
  stable: pointer(second),
  rollout: null,
  history: [],
  operations: [],
})
const device = (extra = {}) => ({
  platform: 'android',
  device_id: crypto.randomUUID(),
  app_id: APP,
  custom_id: '',
  version_build: '1.0.0',
  version_code: '1',
  version_os: '14',
  version_name: '1.0.0',
  plugin_version: '8.51.23',
  is_emulator: false,
  is_prod: true,
  install_source: 'com.android.vending',
  defaultChannel: '',
  key_id: second.bundle.keyId,
  ...extra,
})
const responder = lib.createResponder({ reader: lib.httpStateReader(origin) })
const ask = async (encoding) => {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    ...(encoding ? { 'accept-encoding': encoding } : {}),
  }
  const response = await responder.fetch(
    new Request('http://r/updates', { method: 'POST', headers, body: JSON.stringify(device()) }),
  )
  return (await response.arrayBuffer()).byteLength
}
const replyRaw = await ask()
const replyGzip = await ask('gzip')

// Brotli quality: the chosen 5 against Capgo CLI's default 11, same chunks, one core.
const brotli = {}
for (const quality of [5, 11]) {
  let bytes = 0
  let raw = 0
  const started = performance.now()
  for (let i = 0; i < 300; i++) {
    const plain = await readFile(path.join(v2, 'assets', `chunk-${i}.js`))
    raw += plain.length
    bytes += brotliCompressSync(plain, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: quality, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: plain.length },
    }).length
  }
  brotli[`q${quality}`] = { ms: performance.now() - started, bytes, raw }
}

// --- 2. publish time, alternating; each run is a typical release (chunk 137 and index.html change)
const times = { zip: [], delta: [] }
for (let run = 0; run < runs; run++) {
  for (const delta of run % 2 ? [true, false] : [false, true]) {
    await writeApp(v2, 10 + run * 2 + (delta ? 1 : 0))
    const started = performance.now()
    const result = await lib.publish(options(v2, `2.${run}.${delta ? 1 : 0}`, delta), {
      store,
      registrar,
      logger: quiet,
    })
    times[delta ? 'delta' : 'zip'].push(performance.now() - started)
    if (process.env.BENCH_VERBOSE) console.log(delta ? 'delta' : 'zip', JSON.stringify(result.timings))
  }
}

// --- 3. the Node responder under bounded load
const serve = spawn(
  process.execPath,
  [path.join(repo, 'dist', 'cli.js'), 'serve', '--state-url', origin, '--port', '0', '--cache-ttl', '10'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
const serveUrl = await new Promise((resolve, reject) => {
  let text = ''
  serve.stdout.on('data', (chunk) => {
    text += chunk
    const match = /listening on (\S+)/.exec(text)
    if (match) resolve(match[1])
  })
  serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
})
const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${serve.pid}/status`, 'utf8'))[1]) * 1024
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
function call(body) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = http.request(
      `${serveUrl}/updates`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json; charset=utf-8', 'accept-encoding': 'gzip' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}
async function load(durationS, width, makeBody) {
  const latencies = []
  let errors = 0
  const until = performance.now() + durationS * 1000
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (performance.now() < until) {
        const result = await call(makeBody())
        if (result.status !== 200) errors++
        latencies.push(result.ms)
      }
    }),
  )
  return { requests: latencies.length, latencies, errors }
}
// Mixed traffic: most devices are up to date; 1 in 10 gets the update reply with its 300-entry manifest.
const upToDate = JSON.stringify(device({ version_name: '1.0.1' }))
let n = 0
const mixed = () => (++n % 10 === 0 ? JSON.stringify(device()) : upToDate)
await load(1, 16, mixed) // warm-up
// CPU time of the server process (utime + stime, clock ticks of 10 ms): per request, it does not
// depend on how busy the shared machine is, unlike throughput and latency.
const cpuMs = async () => {
  const fields = (await readFile(`/proc/${serve.pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
const rssBefore = await rss()
const cpuBefore = await cpuMs()
// Two back-to-back halves: memory is flat when the second leaves RSS where the first did.
const half1 = await load(seconds / 2, 32, mixed)
const rssMid = await rss()
const half2 = await load(seconds / 2, 32, mixed)
const cpuUsed = (await cpuMs()) - cpuBefore
const rssAfter = await rss()
// Percentiles over every request of both halves.
const latencies = [...half1.latencies, ...half2.latencies]
const loaded = {
  requests: latencies.length,
  rps: latencies.length / seconds,
  p50: percentile(latencies, 0.5),
  p99: percentile(latencies, 0.99),
  errors: half1.errors + half2.errors,
}
serve.kill('SIGTERM')
agent.destroy()

const report = {
  brotli,
  release: {
    files: manifest.length,
    changed: fetched,
    zipEncryptedBytes: zipBytes,
    deltaDownloadBytes: deltaBytes,
    deltaShareOfZip: deltaBytes / zipBytes,
    replyRawBytes: replyRaw,
    replyGzipBytes: replyGzip,
    brotliQuality: 5,
  },
  publish: {
    runs,
    zipMedianMs: median(times.zip),
    deltaMedianMs: median(times.delta),
    ratio: median(times.delta) / median(times.zip),
    zipMs: times.zip,
    deltaMs: times.delta,
  },
  responder: {
    seconds,
    concurrency: 32,
    ...loaded,
    cpuMsPerRequest: cpuUsed / loaded.requests,
    rssBeforeMiB: rssBefore / 2 ** 20,
    rssMidMiB: rssMid / 2 ** 20,
    rssAfterMiB: rssAfter / 2 ** 20,
  },
  when: new Date().toISOString(),
}
await writeFile(path.join(out, 'delta.json'), `${JSON.stringify(report, null, 2)}\n`)
console.log(`typical release (${manifest.length} files; changed: ${fetched.join(', ')})`)
console.log(
  `  device download: delta ${kb(deltaBytes)} vs full zip ${kb(zipBytes)} = ${((100 * deltaBytes) / zipBytes).toFixed(2)} % (file bodies)`,
)
console.log(
  `  update reply: ${kb(replyRaw)} raw, ${kb(replyGzip)} gzip (${((100 * (deltaBytes + replyGzip)) / zipBytes).toFixed(2)} % of the zip with the gzip reply)`,
)
console.log(
  `brotli on the 300 chunks (${kb(brotli.q5.raw)}): q5 ${kb(brotli.q5.bytes)} in ${brotli.q5.ms.toFixed(0)} ms, q11 ${kb(brotli.q11.bytes)} in ${brotli.q11.ms.toFixed(0)} ms (q5 is ${(100 * (brotli.q5.bytes / brotli.q11.bytes - 1)).toFixed(1)} % larger, ${(brotli.q11.ms / brotli.q5.ms).toFixed(0)}x faster)`,
)
console.log(
  `publish to loopback S3, median of ${runs}: zip only ${median(times.zip).toFixed(0)} ms, with delta ${median(times.delta).toFixed(0)} ms = ${(median(times.delta) / median(times.zip)).toFixed(2)}x`,
)
console.log(
  `node responder, ${seconds} s, 32 in flight, 90 % up-to-date / 10 % update+manifest: ${loaded.rps.toFixed(0)} req/s, p50 ${loaded.p50.toFixed(2)} ms, p99 ${loaded.p99.toFixed(2)} ms, ${loaded.errors} errors, ${((1000 * cpuUsed) / loaded.requests).toFixed(0)} µs server CPU per request; RSS ${report.responder.rssBeforeMiB.toFixed(1)} -> ${report.responder.rssMidMiB.toFixed(1)} (half-way) -> ${report.responder.rssAfterMiB.toFixed(1)} MiB`,
)
front.close()
process.exit(0)
