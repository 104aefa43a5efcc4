// `npm run bench:upload`: end-to-end `live-update publish` to the loopback S3 server (Swift),
// for 64 MB and 256 MB bundles: upload throughput, peak RSS (must stay flat as the bundle
// grows) and time per stage. Needs `bash scripts/s3-server.sh start`. Env: BENCH_RUNS (3).
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import http from 'node:http'
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(repo, 'bench', 'out', 'upload')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const endpoint = process.env.LIVE_UPDATE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:8080'
const bucket = `bench-${Date.now()}`
const cli = path.join(repo, 'dist', 'cli.js')
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' } })
await client.send(new CreateBucketCommand({ Bucket: bucket }))
// Devices download without credentials: a small front (like a CDN in front of a private bucket)
// serves GETs from the bucket; the verify stage downloads through it.
const front = http.createServer(async (request, response) => {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: decodeURIComponent(new URL(request.url, 'http://x').pathname.slice(1)) }))
    response.writeHead(200, { 'content-length': object.ContentLength })
    object.Body.pipe(response)
  } catch (error) {
    response.writeHead(error.$metadata?.httpStatusCode ?? 500).end()
  }
})
await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
const publicUrl = `http://127.0.0.1:${front.address().port}/{key}`

function runProcess(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
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
  await mkdir(path.join(dir, 'media'), { recursive: true })
  await writeFile(path.join(dir, 'index.html'), '<html><script src="app.js"></script></html>')
  await writeFile(path.join(dir, 'app.js'), 'CapacitorUpdater.notifyAppReady()\n')
  for (let i = 0; i < megabytes / 4; i++) await writeFile(path.join(dir, 'media', `clip${i}.mp4`), randomBytes(4 * 1024 * 1024))
}

await mkdir(out, { recursive: true })
spawnSync(process.execPath, [cli, 'key', 'create', '--dir', out, '--force'], { stdio: 'ignore' })
const rows = []
for (const megabytes of [64, 256]) {
  const web = path.join(out, `www-${megabytes}`)
  await makeApp(web, megabytes)
  const samples = []
  for (let run = 0; run < runs; run++) {
    const version = `1.0.${Date.now() % 1_000_000}-r${run}`
    // Asynchronous: the front above must keep serving while the publish downloads through it.
    const result = await runProcess('/usr/bin/time', ['-v', process.execPath, cli, 'publish', '--json',
      '--app-id', 'com.example.bench', '--path', web, '--version', version, '--private-key-file', path.join(out, '.capgo_key_v2'),
      '--storage', 's3', '--s3-bucket', bucket, '--s3-endpoint', endpoint, '--s3-force-path-style', 'true',
      '--s3-access-key-id', 'test:tester', '--s3-secret-access-key', 'testing', '--public-url', publicUrl, '--server', 'none'])
    if (result.status !== 0) throw new Error(result.stderr.slice(-3000))
    const json = JSON.parse(result.stdout)
    const stage = Object.fromEntries(json.timings.map((timing) => [timing.stage, timing.ms]))
    const rssMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)[1]) / 1024
    samples.push({ stage, rssMb, size: json.bundle.encryptedSize })
    console.log(`${megabytes} MB run ${run + 1}: ${JSON.stringify(stage)} peak RSS ${rssMb.toFixed(0)} MB`)
  }
  const size = samples[0].size
  const upload = median(samples.map((s) => s.stage.upload))
  rows.push({
    megabytes,
    size,
    uploadMs: upload,
    uploadMBps: size / 1e6 / (upload / 1000),
    rssMb: median(samples.map((s) => s.rssMb)),
    stages: Object.fromEntries(Object.keys(samples[0].stage).map((name) => [name, median(samples.map((s) => s.stage[name]))])),
  })
  await rm(web, { recursive: true, force: true })
}
const table = [
  '| bundle | encrypted size | upload (median) | throughput | peak RSS | keys | bundle | lookup | upload | verify | register |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.megabytes} MB | ${(r.size / 1048576).toFixed(1)} MiB | ${r.uploadMs} ms | ${r.uploadMBps.toFixed(1)} MB/s | ${r.rssMb.toFixed(0)} MB | ${r.stages.keys} ms | ${r.stages.bundle} ms | ${r.stages.lookup} ms | ${r.stages.upload} ms | ${r.stages.verify} ms | ${r.stages.register} ms |`),
].join('\n')
console.log(`\n${table}\n\npeak RSS 256 MB / 64 MB: ${(rows[1].rssMb / rows[0].rssMb).toFixed(2)}x`)
await writeFile(path.join(out, 'results.md'), `${table}\n`)
front.close()
