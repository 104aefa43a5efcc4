import { existsSync } from 'node:fs'

/**
 * A worker module of this package, beside the file whose `import.meta.url` is `base`: the built
 * `<name>.js` (scripts/bundle.mjs puts every worker beside every file that starts one), else the
 * TypeScript source, which Node runs itself (the tests). `built` tells which.
 */
export function workerModule(name: string, base: string): { url: URL; built: boolean } {
  const built = new URL(`./${name}.js`, base)
  return existsSync(built) ? { url: built, built: true } : { url: new URL(`./${name}.ts`, base), built: false }
}
