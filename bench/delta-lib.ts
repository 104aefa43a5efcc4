// What bench/delta-bench.mjs drives, bundled from the TypeScript sources by the bench itself.
export { publish } from '../src/core/publish.js'
export { createStore } from '../src/core/storage/index.js'
export { createKeyPair } from '../src/core/keys.js'
export { createRegistrar } from '../src/core/register/index.js'
export { createResponder } from '../src/server/handler.js'
export { httpStateReader } from '../src/server/reader.js'
