/**
 * A local-folder BundleStore (`storage: dir`, the demo's default): `<dir>/<key>`, never
 * overwritten, written under a temporary name and published atomically so a failure leaves nothing.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import type { StorageErrorCode } from '../error-codes.js'
import { LiveUpdateError, describeError } from '../errors.js'
import type { BundleBody, BundleStore, StoredJson, StoredObject, WriteCondition } from '../types.js'
import { WriteConflict } from './conditions.js'
import { assertValidObjectKey, renderPublicUrl } from './object-key.js'

export interface DirStoreConfig {
  dir: string
  /** e.g. `http://localhost:8000/{key}`; default: the file:// URL of the stored file. */
  publicUrlTemplate?: string
}

const STALE_LOCK_MS = 30_000
const LOCK_WAIT_MS = 60_000

function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`
}

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined
}

export class DirStore implements BundleStore {
  readonly dir: string
  private readonly publicUrlTemplate?: string

  constructor(config: DirStoreConfig) {
    // Checked for users in config (src/core/config/storage.ts); here only a programmer error.
    if (!config.dir) throw new TypeError('DirStore: dir is required')
    this.dir = path.resolve(config.dir)
    this.publicUrlTemplate = config.publicUrlTemplate || undefined
  }

  describe(): string {
    return `dir ${this.dir}`
  }

  /** Absolute path of a key, refusing keys that would escape the folder. */
  pathOf(key: string): string {
    assertValidObjectKey(key)
    const file = path.resolve(this.dir, ...key.split('/'))
    if (!file.startsWith(this.dir + path.sep)) {
      throw new LiveUpdateError('input_object_key_invalid', `Object key "${key}" escapes the storage folder.`, {
        stage: 'input',
        field: 'object-key',
      })
    }
    return file
  }

  publicUrl(key: string): string {
    if (this.publicUrlTemplate) return renderPublicUrl(this.publicUrlTemplate, key)
    return pathToFileURL(this.pathOf(key)).href
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const info = await stat(this.pathOf(key))
      return info.isFile() ? info.size : undefined
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return undefined
      throw this.failure('storage_stat_failed', `Cannot read ${this.pathOf(key)}: ${describeError(error)}`, error)
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key))
      return true
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return false
      throw this.failure('storage_stat_failed', `Cannot read ${this.pathOf(key)}: ${describeError(error)}`, error)
    }
  }

  async put(key: string, body: BundleBody, options: { signal?: AbortSignal } = {}): Promise<StoredObject> {
    const file = this.pathOf(key)
    if (await this.exists(key)) throw this.existsError(key, file)
    const folder = path.dirname(file)
    try {
      await mkdir(folder, { recursive: true })
    } catch (error) {
      throw this.failure(
        'storage_write_failed',
        `Cannot create the folder ${folder}: ${describeError(error)}. Check {{storage-dir}}.`,
        error,
      )
    }
    // Same folder as the target (same file system, so the final link/rename is atomic); the
    // leading dot and suffix keep it out of naive listings.
    const temp = path.join(folder, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.partial`)
    try {
      try {
        await pipeline(body.open(), createWriteStream(temp, { flags: 'wx', mode: 0o644 }), { signal: options.signal })
      } catch (error) {
        throw this.failure('storage_write_failed', `Writing ${file} failed: ${describeError(error)}`, error)
      }
      const written = (await stat(temp)).size
      if (written !== body.size) {
        throw this.failure(
          'storage_size_mismatch',
          `Wrote ${written} bytes to ${file} but the bundle is ${body.size} bytes; nothing was stored.`,
        )
      }
      await this.publish(temp, file, key)
    } finally {
      await unlink(temp).catch(() => undefined)
    }
    return { key, url: this.publicUrl(key), size: body.size }
  }

  /** Move the finished temp file into place without ever replacing an existing file. */
  private async publish(temp: string, file: string, key: string): Promise<void> {
    try {
      // link() fails with EEXIST when the target exists: an atomic "rename unless present".
      await link(temp, file)
      return
    } catch (error) {
      if (errno(error) === 'EEXIST') throw this.existsError(key, file)
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK'].includes(errno(error) ?? '')) {
        throw this.failure('storage_write_failed', `Publishing ${file} failed: ${describeError(error)}`, error)
      }
    }
    // File systems without hard links: reserve the name with an exclusive create, then rename over
    // our own empty placeholder.
    try {
      const handle = await open(file, 'wx')
      await handle.close()
    } catch (error) {
      if (errno(error) === 'EEXIST') throw this.existsError(key, file)
      throw this.failure('storage_write_failed', `Publishing ${file} failed: ${describeError(error)}`, error)
    }
    try {
      await rename(temp, file)
    } catch (error) {
      await unlink(file).catch(() => undefined)
      throw this.failure('storage_write_failed', `Publishing ${file} failed: ${describeError(error)}`, error)
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key))
    } catch (error) {
      if (errno(error) === 'ENOENT') return
      throw this.failure('storage_delete_failed', `Deleting ${this.pathOf(key)} failed: ${describeError(error)}`, error)
    }
  }

  async getJson(key: string): Promise<StoredJson | undefined> {
    let bytes: Buffer
    try {
      bytes = await readFile(this.pathOf(key))
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return undefined
      throw this.failure('storage_read_failed', `Cannot read ${this.pathOf(key)}: ${describeError(error)}`, error)
    }
    const text = bytes.toString('utf8')
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      value = text
    }
    return { value, etag: etagOf(bytes) }
  }

  /**
   * Real conditional writes: a lock file (exclusive create) serialises writers of one key, the
   * condition is checked under the lock, and the new content replaces the old by rename.
   */
  async putJson(key: string, value: unknown, condition: WriteCondition = {}): Promise<{ etag?: string }> {
    const file = this.pathOf(key)
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`)
    try {
      await mkdir(path.dirname(file), { recursive: true })
    } catch (error) {
      throw this.failure(
        'storage_write_failed',
        `Cannot create the folder ${path.dirname(file)}: ${describeError(error)}. Check the storage-dir input.`,
        error,
      )
    }
    const lock = path.join(path.dirname(file), `.${path.basename(file)}.lock`)
    await this.acquire(lock)
    try {
      if (condition.ifMatch || condition.ifNoneMatch) {
        const current = await this.getJson(key)
        if (condition.ifNoneMatch && current) throw new WriteConflict(key)
        if (condition.ifMatch && current?.etag !== condition.ifMatch) throw new WriteConflict(key)
      }
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.partial`)
      try {
        await writeFile(temp, bytes, { flag: 'wx', mode: 0o644 })
        await rename(temp, file)
      } catch (error) {
        await unlink(temp).catch(() => undefined)
        throw this.failure('storage_write_failed', `Writing ${file} failed: ${describeError(error)}`, error)
      }
    } finally {
      await unlink(lock).catch(() => undefined)
    }
    return { etag: etagOf(bytes) }
  }

  private async acquire(lock: string): Promise<void> {
    const started = Date.now()
    for (;;) {
      try {
        await (await open(lock, 'wx')).close()
        return
      } catch (error) {
        if (errno(error) !== 'EEXIST')
          throw this.failure('storage_write_failed', `Cannot create the lock ${lock}: ${describeError(error)}`, error)
      }
      // A writer that died holding the lock: its lock goes stale after STALE_LOCK_MS.
      const age = await stat(lock).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      )
      if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined)
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw this.failure(
          'storage_lock_held',
          `The lock ${lock} has been held for over ${LOCK_WAIT_MS / 1000} s; if no publish is running, delete it.`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20))
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = []
    const walk = async (folder: string, relative: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(folder, { withFileTypes: true })
      } catch (error) {
        if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return
        throw this.failure('storage_read_failed', `Cannot list ${folder}: ${describeError(error)}`, error)
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue
        const key = relative ? `${relative}/${entry.name}` : entry.name
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) await walk(path.join(folder, entry.name), key)
        } else if (key.startsWith(prefix)) {
          keys.push(key)
        }
      }
    }
    await walk(this.dir, '')
    return keys.sort()
  }

  private existsError(key: string, file: string): LiveUpdateError {
    return new LiveUpdateError(
      'storage_object_exists',
      `An object already exists at key "${key}" (${file}); it is never replaced. Publish a new version, or change the object-key template.`,
      { stage: 'upload', input: 'object-key' },
    )
  }

  private failure(code: StorageErrorCode, message: string, cause?: unknown): LiveUpdateError {
    return new LiveUpdateError(code, message, { stage: 'upload', input: 'storage-dir', cause })
  }
}
