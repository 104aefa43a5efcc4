/**
 * Channel and app records in the test bucket, in COMMON.md's schema (what the action writes for
 * `server: self-hosted`), for the responder's tests. Pointers are shaped exactly like real ones
 * (369-character session key, 512-hex checksum and signature, 20-character key id).
 */
import { randomBytes } from 'node:crypto'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createTestClient } from './s3.js'

export const KEY_ID = 'MIIBCgKCAQEAqJikYizo'

export interface Pointer {
  version: string
  record: string
  url: string
  sessionKey: string
  checksum: string
  signature: string
  keyId: string
  zipSize: number
  minNativeVersion?: string
  manifestUrl?: string
  manifestSignature?: string
}

export function fakePointer(appId: string, version: string, origin: string, extra: Partial<Pointer> = {}): Pointer {
  const key = `${appId}/${version}/${randomBytes(8).toString('hex')}.zip`
  return {
    version,
    record: `${key}.release.json`,
    url: `${origin}/${key}`,
    sessionKey: `${randomBytes(16).toString('base64')}:${randomBytes(256).toString('base64')}`,
    checksum: randomBytes(256).toString('hex'),
    signature: randomBytes(256).toString('hex'),
    keyId: KEY_ID,
    zipSize: 123456,
    ...extra,
  }
}

export async function putJson(
  bucket: string,
  key: string,
  value: unknown,
  client: S3Client = createTestClient(),
): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }),
  )
}

export async function writeApp(
  bucket: string,
  appId: string,
  defaultChannel: string,
  channels: string[],
): Promise<void> {
  await putJson(bucket, `live-update/${appId}/app.json`, {
    schema: 1,
    appId,
    defaultChannel,
    channels,
    updatedAt: new Date().toISOString(),
  })
}

let revision = 0

export async function writeChannel(
  bucket: string,
  appId: string,
  channel: string,
  state: { stable: Pointer | null; rollout?: { release: Pointer; percentage: number } | null; nativeFloor?: string },
): Promise<void> {
  await putJson(bucket, `live-update/${appId}/channels/${channel}.json`, {
    schema: 1,
    appId,
    channel,
    revision: ++revision,
    updatedAt: new Date().toISOString(),
    stable: state.stable,
    rollout: state.rollout ?? null,
    history: [],
    ...(state.nativeFloor ? { nativeFloor: state.nativeFloor } : {}),
    operations: [],
  })
}
