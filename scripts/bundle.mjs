// Builds dist/index.js (the action) and dist/cli.js (the CLI) as single ESM files.
// CommonJS dependencies (the AWS SDK's) need `require`, so the banner defines it.
import { build } from 'esbuild'

const banner = {
  js: [
    "import { createRequire as __liveUpdateCreateRequire } from 'node:module';",
    'const require = __liveUpdateCreateRequire(import.meta.url);',
  ].join('\n'),
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner,
  legalComments: 'none',
  logLevel: 'warning',
  sourcemap: false,
  // Keep class names: esbuild otherwise renames clashing ones (the AWS SDK's PutObjectCommand becomes
  // PutObjectCommand2), and the S3 store reads command names (constructor.name) to recognise
  // a provider's 501 to a conditional PutObject (Swift) and fall back.
  keepNames: true,
}

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' })
await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  banner: { js: '#!/usr/bin/env node\n' + banner.js },
})
