// Builds dist/index.js (the action, one ESM file) and dist/cli.js (the CLI, plus its on-demand chunks).
// CommonJS dependencies (the AWS SDK's) need `require`, so the banner defines it.
import { rm } from 'node:fs/promises'
import { build } from 'esbuild'
import { WORKER_ENTRIES } from './worker-entries.mjs'

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
  // No keepNames: nothing at run time reads a class name (the S3 store tells commands apart by the
  // SDK's middleware context.commandName), so esbuild may rename clashing classes freely.
}

await rm('dist', { recursive: true, force: true })
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' })
// The worker modules (scripts/worker-entries.mjs) sit beside every file that can start one: the
// action, and the CLI's chunks.
for (const outdir of ['dist', 'dist/cli-chunks']) {
  await build({
    ...common,
    banner: undefined,
    entryPoints: WORKER_ENTRIES,
    outdir,
  })
}
// The CLI is split: `publish` (and the storage SDK it pulls in) is a chunk loaded on demand, so
// `bundle`, `verify` and `key` start faster and smaller.
await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'cli-chunks/[name]-[hash]',
  banner: { js: `#!/usr/bin/env node\n${banner.js}` },
})
// The update responder's edge entry points. The Worker is built for a neutral platform, so any
// node:* import that creeps into src/server/ fails the build instead of failing in workerd.
await build({
  ...common,
  platform: 'neutral',
  target: 'es2022',
  banner: undefined,
  entryPoints: ['src/entries/worker.ts'],
  outfile: 'dist/worker.js',
})
await build({ ...common, banner: undefined, entryPoints: ['src/entries/lambda.ts'], outfile: 'dist/lambda.mjs' })
