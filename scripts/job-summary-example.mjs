// `npm run docs:summary`: regenerates docs/job-summary-example.md from real runs of dist/index.js
// (run `npm run bundle` first) on a copy of the example app: a folder store, a loopback webhook
// receiver (one path accepts, one answers 503), and the job summary file each run writes. Only the
// temporary store folder and the receiver's loopback address are replaced, so the page is stable.
import { execFileSync, spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const work = await mkdtemp(path.join(os.tmpdir(), 'live-update-summary-'))
const app = path.join(work, 'app')
const store = path.join(work, 'store')
const SHOWN_STORE = '/srv/live-updates'

const receiver = http.createServer((request, response) => {
  request.resume()
  const down = request.url === '/down'
  request.on('end', () =>
    response
      .writeHead(down ? 503 : 200, { 'content-type': 'application/json' })
      .end(down ? '{"error":"unavailable"}' : '{"ok":true}'),
  )
})
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const hook = `http://127.0.0.1:${receiver.address().port}`

async function runAction(inputs, event) {
  const dir = await mkdtemp(path.join(work, 'runner-'))
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary'),
    event: path.join(dir, 'event.json'),
  }
  await writeFile(files.output, '')
  await writeFile(files.summary, '')
  await writeFile(files.event, JSON.stringify(event.payload))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_REF: event.ref,
    GITHUB_SHA: 'f00dfeedbeefcafe0123456789abcdef01234567',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_RUN_ID: '123456',
    GITHUB_SERVER_URL: 'https://github.com',
  }
  const all = {
    'working-directory': app,
    'private-key': await readFile(path.join(app, '.capgo_key_v2'), 'utf8'),
    storage: 'dir',
    'storage-dir': store,
    'pr-comment': 'never',
    ...inputs,
  }
  for (const [name, value] of Object.entries(all)) env[`INPUT_${name.toUpperCase()}`] = value
  const child = spawn(process.execPath, [path.join(repo, 'dist', 'index.js')], { cwd: dir, env, stdio: 'ignore' })
  await new Promise((resolve) => child.on('close', resolve))
  // The loopback receiver's port changes every run; messages show it with a word joiner after "http:".
  const summary = (await readFile(files.summary, 'utf8')).split(store).join(SHOWN_STORE)
  return summary.replace(/http:(\u2060?)\/\/127\.0\.0\.1:\d+/g, 'https:$1//updates.example.com/hooks').trim()
}

const tag = (version) => ({ name: 'push', ref: `refs/tags/v${version}`, payload: { ref: `refs/tags/v${version}` } })
const pullRequest = {
  name: 'pull_request',
  ref: 'refs/pull/7/merge',
  payload: { number: 7, pull_request: { number: 7 } },
}

try {
  await cp(path.join(repo, 'example'), app, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}dist`),
  })
  // Installed dependencies, as after `npm ci`: the native-compatibility check fingerprints them.
  await symlink(path.join(repo, 'node_modules'), path.join(app, 'node_modules'), 'dir')
  execFileSync(
    process.execPath,
    [path.join(repo, 'dist', 'cli.js'), 'key', 'create', '--dir', app, '--config', 'capacitor.config.json'],
    { cwd: app, stdio: 'ignore' },
  )
  execFileSync(process.execPath, ['build.mjs'], { cwd: app, stdio: 'ignore' })
  const webhook = (pathname) => ({
    server: 'webhook',
    'webhook-url': `${hook}${pathname}`,
    'webhook-secret': 'example-webhook-secret',
  })
  const scenarios = [
    ['A published bundle (webhook server)', { ...webhook('/ok') }, tag('1.4.3')],
    ['Uploaded but not registered (`server: none`)', { server: 'none' }, tag('1.4.4')],
    ['Registered without the device check (`verify: false`)', { ...webhook('/ok'), verify: 'false' }, tag('1.4.5')],
    ['A pull request (dry run)', { 'dry-run': 'true', version: '0.0.1-pr.7', server: 'none' }, pullRequest],
    [
      'A failed registration whose outcome is unknown (the receiver kept answering 503)',
      { ...webhook('/down') },
      tag('1.4.6'),
    ],
    ['A failed run (no private key)', { 'private-key': '' }, tag('1.4.7')],
  ]
  const parts = [
    '# Job summary, as the action writes it',
    '',
    'Rendered from real runs of `dist/index.js` on the example app (folder store, a loopback webhook',
    "receiver) by `npm run docs:summary`; only the store folder and the receiver's address are renamed.",
    'The same markdown is posted as the pull request comment, behind a hidden marker per app and channel.',
  ]
  for (const [title, inputs, event] of scenarios) parts.push('', `## ${title}`, '', await runAction(inputs, event))
  await writeFile(path.join(repo, 'docs', 'job-summary-example.md'), `${parts.join('\n')}\n`)
  console.log(`docs/job-summary-example.md: ${scenarios.length} scenarios rendered`)
} finally {
  receiver.close()
  await rm(work, { recursive: true, force: true })
}
