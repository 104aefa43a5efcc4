/**
 * Storage stage: where encrypted bundles go. `createStore(config)` returns a BundleStore for an
 * S3-compatible bucket or a local folder; both refuse to overwrite and clean up after failures.
 */
import { LiveUpdateError } from '../errors.js'
import type { BundleStore } from '../types.js'
import { DirStore, type DirStoreConfig } from './dir-store.js'
import { S3Store, type S3StoreConfig, type S3StoreOptions } from './s3-store.js'

/** `none`: no storage configured, which only a dry run may do (it uploads nothing). */
export type StorageConfig = ({ kind: 's3' } & S3StoreConfig) | ({ kind: 'dir' } & DirStoreConfig) | { kind: 'none' }

/** Injected dependencies and tuning (S3 only; ignored by the folder store). */
export type StoreOptions = S3StoreOptions

export function createStore(config: StorageConfig, options: StoreOptions = {}): BundleStore {
  switch (config.kind) {
    case 's3': {
      const { kind: _kind, ...s3 } = config
      return new S3Store(s3, options)
    }
    case 'dir':
      return new DirStore({ dir: config.dir, publicUrlTemplate: config.publicUrlTemplate })
    case 'none':
      return noStore
  }
}

/** The store of a dry run without storage inputs: any use is a bug, and says so. */
const noStore: BundleStore = {
  describe: () => 'no storage (dry run)',
  exists: () => Promise.reject(noStorage()),
  put: () => Promise.reject(noStorage()),
  publicUrl: () => {
    throw noStorage()
  },
  size: () => Promise.reject(noStorage()),
  delete: () => Promise.reject(noStorage()),
  getJson: () => Promise.reject(noStorage()),
  putJson: () => Promise.reject(noStorage()),
  list: () => Promise.reject(noStorage()),
}

function noStorage(): LiveUpdateError {
  return new LiveUpdateError(
    'input_storage_missing',
    'No storage is configured: set {{s3-bucket}} (or {{storage}} dir with {{storage-dir}}); only a dry run may go without.',
    { stage: 'input', field: 's3-bucket' },
  )
}

export { DirStore, type DirStoreConfig } from './dir-store.js'
export { ConditionalWritesUnsupported, WriteConflict, isConditionalUnsupported, isWriteConflict } from './conditions.js'
export {
  S3Store,
  DEFAULT_CACHE_CONTROL,
  DEFAULT_CONTENT_TYPE,
  DEFAULT_PART_SIZE_MIB,
  DEFAULT_QUEUE_SIZE,
  type S3StoreConfig,
  type S3StoreOptions,
} from './s3-store.js'
export { buildS3ClientConfig, type ChecksumMode } from './s3-client.js'
export { isTransientStorageError, providerError, type ProviderError } from './s3-errors.js'
export {
  DEFAULT_OBJECT_KEY_TEMPLATE,
  KEY_HASH_LENGTH,
  MAX_KEY_BYTES,
  assertValidObjectKey,
  deriveS3ObjectUrl,
  encodeKeyPath,
  keyHash,
  objectKeyProblem,
  renderObjectKey,
  renderPublicUrl,
  type ObjectKeyValues,
  type S3UrlSettings,
} from './object-key.js'
