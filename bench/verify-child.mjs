// One timed download of a published bundle, in a fresh process (no warm-up shared between modes):
//   node verify-child.mjs verify|floor <url> <sessionKey> <checksum> <publicKeyFile> <encryptedSize>
// verify: the project's verifyBundle (bench/out/verify-core.mjs, bundled from src by upload-bench.mjs;
//         VERIFY_CORE=<path> runs another build, e.g. an older commit's, for before/after figures).
// floor:  fetch the same URL, AES-128-CBC decrypt and SHA-256 the plaintext, nothing else.
// Prints {"ms":..,"cpuMs":..,"rssMb":..}: only the download-and-check is timed (not process start or imports).
import { createDecipheriv, createHash, constants, publicDecrypt, createPublicKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'

const [mode, url, sessionKey, checksum, publicKeyFile, size] = process.argv.slice(2)
const publicKeyPem = await readFile(publicKeyFile, 'utf8')
const { verifyBundle } =
  mode === 'verify'
    ? await import(new URL(process.env.VERIFY_CORE ?? './out/verify-core.mjs', import.meta.url).href)
    : {}

async function floor() {
  const [ivB64, wrappedB64] = sessionKey.split(':')
  const aesKey = publicDecrypt(
    { key: createPublicKey(publicKeyPem), padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(wrappedB64, 'base64'),
  )
  const decipher = createDecipheriv('aes-128-cbc', aesKey, Buffer.from(ivB64, 'base64'))
  const hash = createHash('sha256')
  const response = await fetch(url)
  for await (const chunk of Readable.fromWeb(response.body)) hash.update(decipher.update(chunk))
  hash.update(decipher.final())
  return hash.digest('hex')
}

const started = performance.now()
const cpuStart = process.cpuUsage()
if (mode === 'verify') {
  const report = await verifyBundle({ source: url, sessionKey, checksum, publicKeyPem, expectedSize: Number(size) })
  if (!report.ok) throw new Error(JSON.stringify(report))
} else {
  await floor()
}
const ms = performance.now() - started
const cpu = process.cpuUsage(cpuStart)
// CPU time of all threads (main, libuv pool): the work done, whatever the machine's load.
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024 }))
