/**
 * Storage inputs: which store, the bucket or folder, credentials, and the two templates (object
 * key, public URL), all checked here with the real app id, version and channel, so a bad template
 * fails before the build rather than after the upload.
 */
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { inputError } from '../errors.js'
import type { ChecksumMode, StorageConfig } from '../storage/index.js'
import { deriveS3ObjectUrl, renderObjectKey, renderPublicUrl } from '../storage/object-key.js'
import { parseHttpUrl, quoteTemplate } from '../url.js'
import type { Inputs } from './reader.js'

/** The `{hash}` of object keys has this many hex characters; the sample has the real length. */
const SAMPLE_HASH = '0123456789abcdef'

// S3's rules (3-63, lower case, digits, dots, hyphens) are stricter; other providers accept more.
const BUCKET = /^[a-zA-Z0-9._:-]{1,255}$/

export interface StorageContext {
  workingDirectory: string
  webDir: string
  appId: string
  version: string
  channel: string
  dryRun: boolean
}

export async function resolveStorage(
  inputs: Inputs,
  context: StorageContext,
): Promise<{ storage: StorageConfig; objectKeyTemplate: string; sampleUrl?: string }> {
  const kind = inputs.choice<'s3' | 'dir'>('storage')
  const objectKeyTemplate = inputs.read('object-key')!
  const sampleKey = renderObjectKey(objectKeyTemplate, {
    appId: context.appId,
    version: context.version,
    channel: context.channel,
    hash: SAMPLE_HASH,
  })
  const publicUrlTemplate = inputs.read('public-url')
  if (publicUrlTemplate) checkPublicUrlTemplate(publicUrlTemplate)

  if (kind === 'dir') {
    const given = inputs.read('storage-dir')
    if (!given)
      throw inputError(
        'storage-dir',
        'input_storage_dir_missing',
        'With {{storage}} dir, set {{storage-dir}} to the folder that receives bundles.',
      )
    const dir = path.resolve(context.workingDirectory, given)
    if (await isInsideOrSame(dir, context.webDir)) {
      // The next publish would zip this one's bundles into the app.
      throw inputError(
        'storage-dir',
        'input_storage_dir_inside_web_dir',
        `{{storage-dir}} ${dir} is inside the web folder ${context.webDir}: every bundle would contain the previous ones. Choose a folder outside it.`,
      )
    }
    const sampleUrl = publicUrlTemplate ? renderPublicUrl(publicUrlTemplate, sampleKey) : undefined
    return { storage: { kind: 'dir', dir, publicUrlTemplate }, objectKeyTemplate, sampleUrl: sampleUrl ?? 'file:///' }
  }

  const bucket = inputs.read('s3-bucket')
  // A dry run uploads nothing: it needs no bucket (pull requests run without storage secrets).
  if (!bucket && context.dryRun) return { storage: { kind: 'none' }, objectKeyTemplate }
  if (!bucket)
    throw inputError(
      's3-bucket',
      'input_s3_bucket_missing',
      "With {{storage}} s3, set {{s3-bucket}} to your bucket's name.",
    )
  if (!BUCKET.test(bucket)) {
    throw inputError(
      's3-bucket',
      'input_s3_bucket_invalid',
      `{{s3-bucket}} '${bucket.slice(0, 80)}' is not a bucket name: give the name only (no s3:// prefix, no slash, no spaces).`,
    )
  }
  const endpoint = inputs.read('s3-endpoint')
  if (endpoint)
    parseHttpUrl(endpoint, 's3-endpoint', 'input_s3_endpoint_invalid', 'https://<account>.r2.cloudflarestorage.com')
  const accessKeyId = inputs.secret('s3-access-key-id')
  const secretAccessKey = inputs.secret('s3-secret-access-key')
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw inputError(
      accessKeyId ? 's3-secret-access-key' : 's3-access-key-id',
      'input_s3_credentials_incomplete',
      'Set both {{s3-access-key-id}} and {{s3-secret-access-key}}, or neither (to use the standard AWS credentials of the job, e.g. from aws-actions/configure-aws-credentials or AWS_* variables).',
    )
  }
  const partSizeMiB = inputs.int('s3-part-size-mib', 'input_part_size_invalid', " (S3's multipart limits)")
  const region = inputs.read('s3-region')!
  const forcePathStyle = inputs.bool('s3-force-path-style')
  const storage: StorageConfig = {
    kind: 's3',
    bucket,
    // us-east-1 works everywhere: R2 treats it as 'auto', and MinIO, Swift and Ceph expect it.
    region,
    endpoint,
    forcePathStyle,
    accessKeyId,
    secretAccessKey,
    acl: inputs.read('s3-acl'),
    cacheControl: inputs.read('cache-control'),
    publicUrlTemplate,
    partSizeMiB,
    checksumMode: inputs.choice<ChecksumMode>('s3-checksum'),
  }
  const sampleUrl = publicUrlTemplate
    ? renderPublicUrl(publicUrlTemplate, sampleKey, bucket)
    : deriveS3ObjectUrl({ bucket, region, endpoint, forcePathStyle }, sampleKey)
  return { storage, objectKeyTemplate, sampleUrl }
}

/**
 * A public-url template: {key} present, known placeholders, an absolute http(s) or file URL, no
 * credentials. Messages quote it without userinfo or query (which may hold a token) (it is no secret input, so nothing
 * masks it in the log, the summary or a PR comment).
 */
export function checkPublicUrlTemplate(template: string): void {
  const shown = quoteTemplate(template)
  const fail = (problem: string) =>
    inputError('public-url', 'input_public_url_invalid', `{{public-url}} ${problem}; got '${shown}'.`)
  if (!template.includes('{key}')) throw fail('must contain {key}, e.g. https://updates.example.com/{key}')
  let rendered: string
  try {
    rendered = renderPublicUrl(template, 'app/1.0.0/0123456789abcdef.zip', 'bucket')
  } catch {
    throw fail('may only use the placeholders {key} and {bucket}')
  }
  let url: URL
  try {
    url = new URL(rendered)
  } catch {
    throw fail('must be an absolute URL such as https://updates.example.com/{key}')
  }
  if (!['https:', 'http:', 'file:'].includes(url.protocol)) throw fail(`must be an https:// URL (not ${url.protocol})`)
  if (url.username || url.password)
    throw fail(
      'must not contain credentials (user:password@): serve bundles from a public URL (a CDN or custom domain)',
    )
}

/** `inner` is `outer` or inside it, comparing real paths where they exist (symlinks). */
async function isInsideOrSame(inner: string, outer: string): Promise<boolean> {
  const [a, b] = await Promise.all([realPathOrSelf(inner), realPathOrSelf(outer)])
  const relative = path.relative(b, a)
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

/** The real path of the nearest existing ancestor, with the rest appended (the folder may not exist yet). */
async function realPathOrSelf(file: string): Promise<string> {
  const rest: string[] = []
  let current = path.resolve(file)
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest)
    } catch {
      const parent = path.dirname(current)
      if (parent === current) return path.resolve(file)
      rest.unshift(path.basename(current))
      current = parent
    }
  }
}
