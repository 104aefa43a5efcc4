// `npm run test:unit`: the suites that need no server, no peer tool and no dist/ (in-process, seconds).
// New in-process suites go in test/unit/; the older server-free suites are listed by name.
import base from './jest.config.js'

const serverFree = [
  'action-yml',
  'errors',
  'capacitor-config',
  'object-key',
  'register-capgo',
  'register-webhook',
  'retry',
  'storage-dir',
]

export default {
  ...base,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', ...serverFree.map((name) => `<rootDir>/test/${name}.test.ts`)],
}
