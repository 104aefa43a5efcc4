/**
 * Delta (per-file) releases: published to the loopback S3 bucket, verified as a device would,
 * served by the responder, and followed by a test device (written from the plugin's sources)
 * that must end with a tree byte-identical to the web folder while downloading only what changed.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createBundle } from '../src/core/bundle.js'
import { createBundleEncryptor } from '../src/core/crypto.js'
import { deltaIndexKey, loadDeltaIndex } from '../src/core/delta/index-file.js'
import { publishDelta } from '../src/core/delta/publish-delta.js'
import { checkManifestNames } from '../src/core/delta/rules.js'
import { verifyDelta } from '../src/core/delta/verify-delta.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import { publish, PublishFailure } from '../src/core/publish.js'
import { createStore } from '../src/core/storage/index.js'
import type { BundleStore, Logger, Registrar, RegistrationRequest, SigningKey } from '../src/core/types.js'
import { createResponder } from '../src/server/handler.js'
import { httpStateReader } from '../src/server/reader.js'
import { startBucketHttp, type BucketHttp } from './support/bucket-http.js'
import { androidInfo, APP_ID, post } from './support/device-requests.js'
import { ManifestDevice } from './support/manifest-device.js'
import { writeApp, writeChannel } from './support/responder-state.js'
import { createTestBucket, createTestClient, listKeys, removeTestBucket, s3TestConfig } from './support/s3.js'
import { readTree, writeWebApp } from './support/webapp.js'

const logger: Logger = { info: () => undefined, warn: () => undefined, debug: () => undefined }

describe('delta releases', () => {
  let tmp: string
  let bucket: string
  let front: BucketHttp
  let store: BundleStore
  let signing: SigningKey
  let publicKeyPem: string

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'lu-delta-'))
    bucket = await createTestBucket('delta')
    front = await startBucketHttp(bucket)
    const s3 = s3TestConfig()
    store = createStore({
      kind: 's3',
      bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      publicUrlTemplate: `${front.origin}/{key}`,
    })
    const pair = createKeyPair()
    signing = loadPrivateKey(pair.privateKeyPem)
    publicKeyPem = pair.publicKeyPem
  })

  afterAll(async () => {
    await front?.close()
    if (bucket) await removeTestBucket(bucket)
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })

  /** Zip + delta for one web folder, as a publish does: one encryptor seals both. */
  async function release(webDir: string, version: string) {
    const encryptor = createBundleEncryptor(signing)
    const outFile = path.join(tmp, `${version}.zip.enc`)
    const bundle = await createBundle({ webDir, version, signing, outFile, requireNotifyAppReady: true, encryptor })
    const objectKey = `${APP_ID}/${version}/${bundle.encryptedSha256.slice(0, 16)}.zip`
    const delta = await publishDelta({
      appId: APP_ID,
      webDir,
      version,
      signing,
      seal: encryptor.sealFile,
      sessionKey: bundle.sessionKey,
      store,
      objectKey,
      logger,
    })
    return { bundle, objectKey, delta }
  }

  test('a device on v1 follows the v2 manifest served by the responder: identical tree, only the changed files downloaded', async () => {
    const v1 = path.join(tmp, 'web-v1')
    const v2 = path.join(tmp, 'web-v2')
    await writeWebApp(v1, { chunks: 40 })
    await cp(v1, v2, { recursive: true })
    await writeFile(path.join(v2, 'assets', 'chunk-7.js'), 'export const changed = true\n'.repeat(900))
    await writeFile(
      path.join(v2, 'index.html'),
      '<!doctype html><script src="assets/chunk-0.js"></script><!-- build 2 -->\n',
    )
    await writeFile(path.join(v2, 'assets', 'fonts.woff2.br'), Buffer.from('already named .br by the build tool'))

    const { bundle, objectKey, delta } = await release(v2, '2.0.0')
    expect(delta.manifest).toHaveLength(44)
    expect(delta.compressedFiles).toBeGreaterThan(0)
    expect(delta.manifest.find((e) => e.file_name.startsWith('assets/fonts.woff2'))?.file_name).toBe(
      'assets/fonts.woff2.br.br',
    )
    expect(delta.manifest.find((e) => e.file_name.startsWith('assets/empty.txt'))?.file_name).toBe('assets/empty.txt')
    await expect(
      verifyDelta({
        manifest: delta.manifest,
        version: '2.0.0',
        manifestSignature: delta.manifestSignature,
        sessionKey: bundle.sessionKey,
        publicKeyPem,
      }),
    ).resolves.toEqual({ files: 44, downloaded: 44, bytes: delta.uploadedBytes })

    // The channel points at the release; the responder inlines the manifest in its reply.
    await writeApp(bucket, APP_ID, 'production', ['production'])
    await writeChannel(bucket, APP_ID, 'production', {
      stable: {
        version: '2.0.0',
        record: `${objectKey}.release.json`,
        url: store.publicUrl(objectKey),
        sessionKey: bundle.sessionKey,
        checksum: bundle.checksum,
        signature: '',
        keyId: signing.keyId,
        zipSize: bundle.zipSize,
        manifestUrl: delta.manifestUrl,
        manifestSignature: delta.manifestSignature,
      },
    })
    const responder = createResponder({ reader: httpStateReader(front.origin), cacheTtlMs: 0 })
    const reply = (await (
      await responder.fetch(
        new Request(
          'http://r/updates',
          post(androidInfo({ key_id: signing.keyId }), { 'content-type': 'application/json' }) as RequestInit,
        ),
      )
    ).json()) as {
      version: string
      session_key: string
      manifest: { file_name: string; file_hash: string; download_url: string }[]
    }
    expect(reply.version).toBe('2.0.0')
    expect(reply.manifest).toEqual(delta.manifest)

    const device = new ManifestDevice(publicKeyPem, v1)
    const dest = path.join(tmp, 'device-bundle')
    const run = await device.follow(reply.manifest, reply.session_key, dest)
    expect(run.downloaded.sort()).toEqual(['assets/chunk-7.js', 'assets/fonts.woff2.br', 'index.html'])
    expect(await readTree(dest)).toEqual(await readTree(v2))
  })

  test('a tampered object, a wrong version or a dropped entry fails verification, naming what is wrong', async () => {
    const web = path.join(tmp, 'web-tamper')
    await writeWebApp(web, { chunks: 5, seed: 9 })
    const { bundle, delta } = await release(web, '3.0.0')
    const base = {
      manifest: delta.manifest,
      version: '3.0.0',
      manifestSignature: delta.manifestSignature,
      sessionKey: bundle.sessionKey,
      publicKeyPem,
    }
    await expect(verifyDelta(base)).resolves.toBeDefined()
    await expect(verifyDelta({ ...base, version: '3.0.1' })).rejects.toThrow('manifest signature does not match')
    await expect(verifyDelta({ ...base, manifest: delta.manifest.slice(1) })).rejects.toThrow(
      'manifest signature does not match',
    )
    const victim = delta.manifest[2]
    const key = new URL(victim.download_url).pathname.slice(1)
    expect(delta.keys).toContain(key)
    await createTestClient().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(64, 1) }))
    await expect(verifyDelta(base)).rejects.toThrow(victim.file_name)
  })

  test('names the plugin refuses are refused before anything is uploaded; a failed upload leaves nothing behind', async () => {
    const web = path.join(tmp, 'web-space')
    await writeWebApp(web, { chunks: 2, seed: 3 })
    await writeFile(path.join(web, 'assets', 'my file.js'), 'x')
    const before = await listKeys(bucket)
    await expect(release(web, '4.0.0')).rejects.toThrow("'assets/my file.js' contains a space")
    expect(await listKeys(bucket)).toEqual(before)
    expect(() => checkManifestNames(Array.from({ length: 10_001 }, (_, i) => `f${i}.js`))).toThrow('at most 10000')
    expect(() => checkManifestNames(['a.js', 'a.js.br'])).toThrow("written to 'a.js'")
    expect(() => checkManifestNames(['../up.js'])).toThrow('".."')

    const ok = path.join(tmp, 'web-fail')
    await writeWebApp(ok, { chunks: 12, seed: 4 })
    let puts = 0
    const failing: BundleStore = {
      ...store,
      describe: () => 'x',
      exists: (k) => store.exists(k),
      publicUrl: (k) => store.publicUrl(k),
      size: (k) => store.size(k),
      delete: (k) => store.delete(k),
      put: async (k, body) => {
        if (++puts === 9) throw new Error('disk full')
        return store.put(k, body)
      },
    }
    const encryptor = createBundleEncryptor(signing)
    const before2 = await listKeys(bucket)
    await expect(
      publishDelta({
        appId: 'com.example.failing',
        webDir: ok,
        version: '4.0.1',
        signing,
        seal: encryptor.sealFile,
        sessionKey: 'iv:key',
        store: failing,
        objectKey: `${APP_ID}/4.0.1/x.zip`,
        logger,
      }),
    ).rejects.toThrow('disk full')
    expect(await listKeys(bucket)).toEqual(before2)
  })

  test('publish with delta: true uploads, verifies and registers the manifest; a failing device check leaves nothing behind', async () => {
    const web = path.join(tmp, 'web-publish')
    await writeWebApp(web, { chunks: 8, seed: 21 })
    const requests: RegistrationRequest[] = []
    const registrar: Registrar = {
      kind: 'none',
      lookup: async () => ({ found: false }),
      register: async (request) => {
        requests.push(request)
        return { status: 'registered' }
      },
      pointChannel: async () => undefined,
    }
    const pair = createKeyPair()
    const base = {
      appId: APP_ID,
      channel: 'production',
      webDir: web,
      privateKeyPem: pair.privateKeyPem,
      requireNotifyAppReady: true,
      objectKeyTemplate: '{appId}/{version}/{hash}.zip',
      verifyUpload: true,
      dryRun: false,
      delta: true,
    }
    const result = await publish({ ...base, version: '5.0.0' }, { store, registrar, logger })
    expect(result.delta).toMatchObject({
      entries: 11,
      key: `${result.objectKey}.manifest.json`,
      url: store.publicUrl(`${result.objectKey}.manifest.json`),
    })
    expect(requests[0].manifest).toEqual({
      key: result.delta?.key,
      url: result.delta?.url,
      signature: result.delta?.signature,
      entries: 11,
    })
    const manifest = JSON.parse(Buffer.from(await (await fetch(result.delta!.url)).arrayBuffer()).toString('utf8'))
    await expect(
      verifyDelta({
        manifest,
        version: '5.0.0',
        manifestSignature: result.delta!.signature,
        sessionKey: result.bundle.sessionKey,
        publicKeyPem: pair.publicKeyPem,
      }),
    ).resolves.toMatchObject({ files: 11 })

    // A store whose public URLs lead nowhere: the device check fails, every object is removed.
    const broken: BundleStore = Object.assign(Object.create(Object.getPrototypeOf(store)), store, {
      publicUrl: (k: string) => `${front.origin}/missing/${k}`,
    })
    const failure = await publish({ ...base, version: '5.0.1' }, { store: broken, registrar, logger }).catch(
      (error) => error,
    )
    expect(failure).toBeInstanceOf(PublishFailure)
    expect(failure.stage).toBe('verify')
    expect((await listKeys(bucket)).filter((k) => k.includes('/5.0.1/'))).toEqual([])
    expect(requests).toHaveLength(1)

    // The next release reuses the stored objects (same session key): only the changed file is uploaded.
    await writeFile(path.join(web, 'assets', 'chunk-3.js'), 'export const next = 1\n'.repeat(50))
    const next = await publish({ ...base, version: '5.0.2' }, { store, registrar, logger })
    expect(next.bundle.sessionKey).toBe(result.bundle.sessionKey)
    expect(next.delta).toMatchObject({ entries: 11, reusedFiles: 10 })
    const nextManifest = JSON.parse(await (await fetch(next.delta!.url)).text()) as {
      file_name: string
      download_url: string
    }[]
    const firstManifest = manifest as { file_name: string; download_url: string }[]
    const moved = nextManifest
      .filter((entry) => !firstManifest.some((old) => old.download_url === entry.download_url))
      .map((entry) => entry.file_name)
    expect(moved).toEqual(['assets/chunk-3.js'])
    const device = new ManifestDevice(pair.publicKeyPem, path.join(tmp, 'nothing-built-in'))
    const dest = path.join(tmp, 'device-5.0.2')
    await device.follow(nextManifest as never, next.bundle.sessionKey, dest)
    expect(await readTree(dest)).toEqual(await readTree(web))

    // A name a manifest cannot carry: publish stops at its bundle stage, before any upload.
    await writeFile(path.join(web, 'assets', 'my file.js'), 'x')
    const keysBefore = await listKeys(bucket)
    const refused = await publish({ ...base, version: '5.0.3' }, { store, registrar, logger }).catch((error) => error)
    expect(refused).toBeInstanceOf(PublishFailure)
    expect(refused.stage).toBe('bundle')
    expect(refused.message).toContain("'assets/my file.js' contains a space")
    expect(await listKeys(bucket)).toEqual(keysBefore)
  })

  test('a delta index made with another key, or unreadable, is not reused: a fresh key, every file uploaded', async () => {
    const warnings: string[] = []
    const noisy: Logger = { info: () => undefined, warn: (line) => warnings.push(line), debug: () => undefined }
    const other = loadPrivateKey(createKeyPair().privateKeyPem)
    const put = (appId: string, body: string) =>
      createTestClient().send(new PutObjectCommand({ Bucket: bucket, Key: deltaIndexKey(appId), Body: body }))
    expect(await loadDeltaIndex(store, 'com.example.noindex', signing, noisy)).toEqual({})
    await put('com.example.otherkey', JSON.stringify({ schema: 1, keyId: other.keyId, sessionKey: 'x:y', objects: {} }))
    expect(await loadDeltaIndex(store, 'com.example.otherkey', signing, noisy)).toEqual({})
    await put('com.example.garbage', '{not json')
    expect(await loadDeltaIndex(store, 'com.example.garbage', signing, noisy)).toEqual({})
    expect(warnings.join('\n')).toContain('is unusable')
    const encryptor = createBundleEncryptor(signing)
    const web = path.join(tmp, 'web-index')
    await writeWebApp(web, { chunks: 2, seed: 5 })
    const bundle = await createBundle({
      webDir: web,
      version: '6.0.0',
      signing,
      outFile: path.join(tmp, 'idx.zip.enc'),
      requireNotifyAppReady: true,
      encryptor,
    })
    await put(
      'com.example.mine',
      JSON.stringify({ schema: 1, keyId: signing.keyId, sessionKey: bundle.sessionKey, objects: {} }),
    )
    const loaded = await loadDeltaIndex(store, 'com.example.mine', signing, noisy)
    expect(loaded.aesKey).toHaveLength(16)
    expect(loaded.iv).toHaveLength(16)
    // The recovered key really is the bundle's: sealing the same bytes gives the same ciphertext.
    const again = createBundleEncryptor(
      signing,
      (
        (queue) => () =>
          queue.shift() as Buffer
      )([loaded.aesKey as Buffer, loaded.iv as Buffer]),
    )
    expect(again.sealFile(Buffer.from('same bytes'))).toEqual(encryptor.sealFile(Buffer.from('same bytes')))
  })
})
