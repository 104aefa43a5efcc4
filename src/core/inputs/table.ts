/**
 * The one description of every input. action.yml's `inputs:` and the README's input table are
 * generated from it (`npm run gen:docs`) and a unit test fails when they drift; the action masks
 * the `secret` inputs from it; `live-update publish` takes its flags from it.
 */

export type InputKind =
  /** Free text (trimmed). */
  | 'string'
  /** true/false (also yes/no, on/off, 1/0). */
  | 'boolean'
  /** A whole number within `min`..`max`. */
  | 'int'
  /** A number, fractions allowed, above `min` and at most `max`. */
  | 'number'
  /** One of `choices`. */
  | 'choice'
  /** A secret value: masked in the action, read from `env` by the CLI when the flag is not given. */
  | 'secret-text'
  /** PEM text that is not secret (a public key). */
  | 'pem'
  /** A file or folder, resolved from working-directory. */
  | 'path'
  /** An absolute http(s) URL. */
  | 'url'
  /** A template with {placeholders}. */
  | 'template'

export interface InputSpec {
  readonly name: string
  readonly kind: InputKind
  /** What the runner and the CLI use when the input is unset (action.yml's `default`). */
  readonly default?: string
  readonly choices?: readonly string[]
  readonly min?: number
  readonly max?: number
  /** Masked in the action's log; never printed. */
  readonly secret?: true
  readonly description: string
  /**
   * The CLI flag (without `--`) of `live-update publish`; absent: the same as `name`; `null`: the
   * input has no flag (action only, or given through `env` only).
   */
  readonly cliFlag?: string | null
  /** The environment variable the CLI reads the value from when no flag gives it. */
  readonly env?: string
  /**
   * Who reads `env`: the CLI itself (default), or the AWS SDK's own credential chain (which also
   * takes AWS_SESSION_TOKEN and profiles), so the CLI leaves it to the SDK.
   */
  readonly envReader?: 'cli' | 'aws-sdk'
  /** Only the action has it (the CLI writes no job summary and comments on no pull request). */
  readonly actionOnly?: true
  /** The default shown in action.yml when it differs from what the code uses (`${{ github.token }}`). */
  readonly actionDefault?: string
}

export const INPUTS = [
  {
    name: 'app-id',
    kind: 'string',
    description:
      'App id (reverse domain, e.g. com.example.app). Default, the appId of capacitor.config in working-directory.',
  },
  {
    name: 'path',
    kind: 'path',
    description: 'The web output folder to publish (index.html at its root). Default, the webDir of capacitor.config.',
  },
  {
    name: 'working-directory',
    kind: 'path',
    default: '.',
    description:
      'Folder of the Capacitor project (holds capacitor.config and package.json). Relative paths resolve from here.',
  },
  {
    name: 'build-command',
    kind: 'string',
    description:
      'Optional command that builds the web output first (run with bash in working-directory, without any secret), e.g. "npm ci && npm run build".',
  },
  {
    name: 'build-timeout-minutes',
    kind: 'number',
    default: '30',
    min: 0,
    max: 360,
    description:
      'Minutes the build-command may run before it and every process it started are ended (fractions allowed, at most 360).',
  },
  {
    name: 'version',
    kind: 'string',
    description:
      'Bundle version (semver; a leading v is dropped). Default, from a tag ref v1.2.3 (after tag-prefix), else the version in package.json.',
  },
  {
    name: 'tag-prefix',
    kind: 'string',
    default: 'v',
    description:
      'Prefix of release tags before the semver (e.g. mobile-v for mobile-v1.2.3 in a monorepo). A pushed tag that does not match fails the run.',
  },
  {
    name: 'channel',
    kind: 'string',
    default: 'production',
    description: 'Channel the bundle is published to (the channel promote and rollback change).',
  },
  {
    name: 'mode',
    kind: 'choice',
    default: 'publish',
    choices: ['publish', 'promote', 'rollback', 'cleanup'],
    description:
      "publish (build, upload, verify, register), promote (the channel's rollout becomes its stable), rollback (the stable goes to version when set, else to the previous stable; rollout cleared) or cleanup (delete the preview channel, its releases and their objects; run on pull_request closed). Only publish builds or uploads.",
  },
  {
    name: 'rollout-percentage',
    kind: 'number',
    default: '100',
    min: 0,
    max: 100,
    description:
      "Share of devices (0.01-100, two decimals at most) that get the new version; the channel's stable stays for the rest. 100 publishes straight to stable.",
  },
  {
    name: 'preview',
    kind: 'boolean',
    default: 'false',
    description:
      'On pull_request, publish for real to the preview channel (preview-channel) as <package version>-pr.<number>.<run number> unless version is set.',
  },
  {
    name: 'preview-channel',
    kind: 'template',
    default: 'pr-{number}',
    description: 'Preview channel name; {number} is the pull request number. Also the channel mode cleanup deletes.',
  },
  {
    name: 'private-key',
    kind: 'secret-text',
    secret: true,
    cliFlag: null,
    env: 'LIVE_UPDATE_PRIVATE_KEY',
    description: 'PEM text of the private signing key (.capgo_key_v2, PKCS#1 or PKCS#8), from a secret. Masked.',
  },
  {
    name: 'private-key-file',
    kind: 'path',
    cliFlag: 'private-key',
    description:
      'Path of the private key file instead of private-key (for self-hosted runners that hold the key on disk).',
  },
  {
    name: 'public-key',
    kind: 'pem',
    description:
      "The app's public key (PKCS#1 PEM). Default, plugins.CapacitorUpdater.publicKey of capacitor.config. When known, it must match private-key.",
  },
  {
    name: 'require-notify-app-ready',
    kind: 'boolean',
    default: 'true',
    description: 'Refuse a build in which no .js file calls notifyAppReady() (the plugin rolls such updates back).',
  },
  {
    name: 'compression-level',
    kind: 'int',
    default: '6',
    min: 1,
    max: 9,
    cliFlag: 'level',
    description:
      "Deflate level from 1 (fastest) to 9 (smallest). 6 is what Capgo's CLI uses; already-compressed files (images, fonts, media) are stored either way.",
  },
  {
    name: 'bundle-cache',
    kind: 'boolean',
    default: 'true',
    actionOnly: true,
    cliFlag: null,
    description:
      'Keep deflated files between runs in the GitHub Actions cache (scoped to the branch) so unchanged files are not compressed again. Cached data is checked against each file before use; the bundle is byte-identical either way. The CLI takes --cache-dir DIR instead.',
  },
  {
    name: 'delta',
    kind: 'boolean',
    default: 'false',
    description:
      'Also publish every file as its own encrypted object with a signed manifest, so devices download only the files that changed (served by the self-hosted responder, docs/self-hosted.md). The zip stays the fallback.',
  },
  {
    name: 'native-compatibility',
    kind: 'choice',
    default: 'fail',
    choices: ['fail', 'accept', 'off'],
    description:
      "Native plugins (as Capgo's CLI fingerprints them) against the channel's live release: fail refuses added or changed native code before any upload; accept publishes and records them as the channel's baseline (after shipping the store build); off.",
  },
  {
    name: 'native-version',
    kind: 'string',
    description:
      'The native app version; a bundle version below it is refused (plugin 8.53+ refuses it: version_below_native). Default, versionName of android/app/build.gradle, else MARKETING_VERSION of ios/App.',
  },
  {
    name: 'storage',
    kind: 'choice',
    default: 's3',
    choices: ['s3', 'dir'],
    description: 'Where bundles go, s3 (any S3-compatible provider) or dir (a local folder).',
  },
  {
    name: 's3-bucket',
    kind: 'string',
    description: 'Bucket name (storage s3).',
  },
  {
    name: 's3-region',
    kind: 'string',
    default: 'us-east-1',
    description: 'Bucket region (R2 accepts us-east-1 as auto).',
  },
  {
    name: 's3-endpoint',
    kind: 'url',
    description:
      'Endpoint for non-AWS providers (R2, MinIO, B2, GCS, Spaces), e.g. https://<account>.r2.cloudflarestorage.com.',
  },
  {
    name: 's3-force-path-style',
    kind: 'boolean',
    default: 'false',
    description: 'Use path-style addressing (endpoint/bucket/key); needed by MinIO and some others.',
  },
  {
    name: 's3-access-key-id',
    kind: 'secret-text',
    secret: true,
    env: 'AWS_ACCESS_KEY_ID',
    envReader: 'aws-sdk',
    description:
      "Access key id. Leave empty to use the job's standard AWS credentials (e.g. from aws-actions/configure-aws-credentials with OIDC). Masked.",
  },
  {
    name: 's3-secret-access-key',
    kind: 'secret-text',
    secret: true,
    env: 'AWS_SECRET_ACCESS_KEY',
    envReader: 'aws-sdk',
    description: 'Secret access key, with s3-access-key-id. Masked.',
  },
  {
    name: 's3-acl',
    kind: 'string',
    description:
      "Optional canned ACL (e.g. public-read). None by default; buckets with ACLs disabled (AWS's default) reject ACLs.",
  },
  {
    name: 's3-checksum',
    kind: 'choice',
    default: 'auto',
    choices: ['auto', 'when_required', 'when_supported'],
    description:
      'Request/response checksum mode, auto (SDK defaults on AWS, when_required on custom endpoints), when_required or when_supported.',
  },
  {
    name: 's3-part-size-mib',
    kind: 'int',
    default: '8',
    min: 5,
    max: 5120,
    description: 'Multipart upload part size in MiB (5 to 5120).',
  },
  {
    name: 'object-key',
    kind: 'template',
    default: '{appId}/{version}/{hash}.zip',
    description:
      "Object key template; placeholders {appId} {version} {channel} {hash} (16 hex chars of the encrypted bundle's sha256).",
  },
  {
    name: 'public-url',
    kind: 'template',
    description:
      'URL devices download from, a template with {key}, e.g. https://updates.example.com/{key}. Default, derived from endpoint, bucket and addressing style.',
  },
  {
    name: 'cache-control',
    kind: 'string',
    default: 'public, max-age=31536000, immutable',
    description: 'Cache-Control of the uploaded object (bundles are immutable).',
  },
  {
    name: 'storage-dir',
    kind: 'path',
    description: 'Folder that receives bundles (storage dir); not inside the web output folder.',
  },
  {
    name: 'server',
    kind: 'choice',
    default: 'capgo',
    choices: ['capgo', 'webhook', 'self-hosted', 'none'],
    description:
      'Update server, capgo (Capgo Cloud or self-hosted Capgo), webhook (signed POST to your server), self-hosted (nothing but your storage: the release records are what the responder serves) or none (upload and verify only).',
  },
  {
    name: 'capgo-api-key',
    kind: 'secret-text',
    secret: true,
    env: 'CAPGO_API_KEY',
    description: 'Capgo API key with upload rights (server capgo). Masked.',
  },
  {
    name: 'capgo-api-url',
    kind: 'url',
    default: 'https://api.capgo.app',
    description: 'Capgo API base URL; change it for a self-hosted Capgo backend.',
  },
  {
    name: 'webhook-url',
    kind: 'url',
    description: 'Endpoint that receives the signed bundle.published document (server webhook).',
  },
  {
    name: 'webhook-secret',
    kind: 'secret-text',
    secret: true,
    env: 'LIVE_UPDATE_WEBHOOK_SECRET',
    description: 'HMAC-SHA256 secret for the X-Signature-256 header (server webhook). Masked.',
  },
  {
    name: 'verify',
    kind: 'boolean',
    default: 'true',
    description:
      'After upload, download the bundle from its public URL and check it as a device would before registering it.',
  },
  {
    name: 'dry-run',
    kind: 'boolean',
    default: 'false',
    description: 'Build, zip, encrypt, sign and verify locally, but upload and register nothing (for pull requests).',
  },
  {
    name: 'summary',
    kind: 'boolean',
    default: 'true',
    actionOnly: true,
    description: 'Write a job summary.',
  },
  {
    name: 'pr-comment',
    kind: 'choice',
    default: 'auto',
    choices: ['auto', 'always', 'never'],
    actionOnly: true,
    description:
      'auto (comment on pull_request events), always (also on the open pull requests holding the commit), never.',
  },
  {
    name: 'github-token',
    kind: 'secret-text',
    secret: true,
    env: 'GITHUB_TOKEN',
    actionOnly: true,
    actionDefault: '${{ github.token }}',
    description: 'Token for the pull request comment. Masked.',
  },
] as const satisfies readonly InputSpec[]

export type InputName = (typeof INPUTS)[number]['name']

export const INPUT_NAMES: readonly InputName[] = INPUTS.map((input) => input.name)

const BY_NAME = new Map<string, InputSpec>(INPUTS.map((input) => [input.name, input]))

export function inputSpec(name: InputName): InputSpec {
  return BY_NAME.get(name)!
}

export function isInputName(name: string): name is InputName {
  return BY_NAME.has(name)
}

/** The defaults the code applies (a bare `node dist/index.js` and the CLI get none from the runner). */
export const INPUT_DEFAULTS: Readonly<Partial<Record<InputName, string>>> = Object.fromEntries(
  INPUTS.flatMap((input: InputSpec) => (input.default === undefined ? [] : [[input.name, input.default]])),
)

/** Inputs whose values are masked before anything else runs. */
export const SECRET_INPUTS: readonly InputName[] = INPUTS.filter((input: InputSpec) => input.secret).map(
  (input) => input.name,
)

/** The `live-update publish` flag of an input, or undefined when it has none. */
export function cliFlagOf(name: InputName): string | undefined {
  const spec = inputSpec(name)
  if (spec.actionOnly || spec.cliFlag === null) return undefined
  return spec.cliFlag ?? spec.name
}
