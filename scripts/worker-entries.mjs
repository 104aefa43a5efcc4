// The worker modules, each its own file: the code that starts one finds it with
// new URL('./<name>.js', import.meta.url), so every build puts all of them beside its output
// (scripts/bundle.mjs: the action and the CLI's chunks; the benches: their bundled cores).
export const WORKER_ENTRIES = {
  'deflate-worker': 'src/core/zip/deflate-worker.ts',
  'walk-worker': 'src/core/zip/walk-worker.ts',
  'hash-worker': 'src/core/zip/hash-worker.ts',
}
