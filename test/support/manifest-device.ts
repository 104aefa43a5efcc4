/**
 * A test device that follows a manifest the way @capgo/capacitor-updater 8.51 does
 * (Android DownloadService.handleManifestDownload / downloadAndVerify, iOS downloadManifest),
 * written from the plugin's sources and independent of src/core/delta:
 * - refuses the whole manifest on a missing hash, a bad path or a duplicate target (manifest_path_fail);
 * - with a public key: needs a valid session key, RSA-recovers each file_hash;
 * - per entry: reuse a built-in file (same path, same plain hash), then the download cache
 *   (`<hash>_<basename>`), else download, decrypt the whole file with the bundle's AES key and IV,
 *   Brotli-decode when the name ends in `.br`, check the SHA-256, write to the `.br`-stripped path
 *   and into the cache.
 */
import { constants, createDecipheriv, createHash, createPublicKey, publicDecrypt } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { brotliDecompressSync } from 'node:zlib'

export interface ManifestEntry {
  file_name: string
  file_hash: string
  download_url: string
}

export interface DeviceRun {
  downloaded: string[]
  reusedBuiltin: string[]
  reusedCache: string[]
  bytesDownloaded: number
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

export class ManifestDevice {
  /** The download cache (`capgo_downloads`): `<hash>_<basename>` -> content. */
  readonly cache = new Map<string, Buffer>()

  constructor(
    private readonly publicKeyPem: string,
    /** The app's built-in web assets (what shipped in the store build). */
    private readonly builtinDir: string,
    private readonly doFetch: typeof fetch = fetch,
  ) {}

  async follow(manifest: ManifestEntry[], sessionKey: string, destDir: string): Promise<DeviceRun> {
    const key = createPublicKey(this.publicKeyPem)
    const [ivB64, wrappedB64] = sessionKey.split(':')
    if (!ivB64 || !wrappedB64) throw new Error('session_key_required')
    const iv = Buffer.from(ivB64, 'base64')
    const aesKey = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(wrappedB64, 'base64'))
    if (iv.length !== 16 || aesKey.length !== 16) throw new Error('decrypt_fail: bad session key')
    const run: DeviceRun = { downloaded: [], reusedBuiltin: [], reusedCache: [], bytesDownloaded: 0 }
    const seen = new Set<string>()
    const tasks = manifest.map((entry) => {
      if (!entry.file_hash) throw new Error(`missing file_hash for ${entry.file_name}`)
      const hash = publicDecrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(entry.file_hash, 'hex'),
      ).toString('hex')
      const isBrotli = entry.file_name.endsWith('.br')
      const target = isBrotli ? entry.file_name.slice(0, -3) : entry.file_name
      const resolved = path.resolve(destDir, target)
      if (!resolved.startsWith(path.resolve(destDir) + path.sep) || entry.file_name.includes('\\'))
        throw new Error(`manifest_path_fail: ${entry.file_name}`)
      if (seen.has(resolved)) throw new Error(`manifest_path_fail (duplicate): ${entry.file_name}`)
      seen.add(resolved)
      return { entry, hash, isBrotli, target, resolved }
    })
    for (const task of tasks) {
      const builtin = await readFile(path.join(this.builtinDir, task.target)).catch(() => undefined)
      const cacheKey = `${task.hash}_${path.basename(task.target)}`
      let content: Buffer
      if (builtin && sha256(builtin) === task.hash) {
        content = builtin
        run.reusedBuiltin.push(task.target)
      } else if (this.cache.has(cacheKey) && sha256(this.cache.get(cacheKey) as Buffer) === task.hash) {
        content = this.cache.get(cacheKey) as Buffer
        run.reusedCache.push(task.target)
      } else {
        const response = await this.doFetch(task.entry.download_url)
        if (response.status !== 200 && response.status !== 206)
          throw new Error(`download_manifest_file_fail: ${task.entry.file_name} HTTP ${response.status}`)
        const body = Buffer.from(await response.arrayBuffer())
        run.bytesDownloaded += body.length
        const decipher = createDecipheriv('aes-128-cbc', aesKey, iv)
        let plain = Buffer.concat([decipher.update(body), decipher.final()])
        if (task.isBrotli) plain = brotliDecompressSync(plain)
        if (sha256(plain) !== task.hash) throw new Error(`download_manifest_checksum_fail: ${task.entry.file_name}`)
        content = plain
        this.cache.set(cacheKey, plain)
        run.downloaded.push(task.target)
      }
      await mkdir(path.dirname(task.resolved), { recursive: true })
      await writeFile(task.resolved, content)
    }
    return run
  }
}
