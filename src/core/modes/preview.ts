/**
 * Preview channels for pull requests: `preview-channel` (default `pr-{number}`) and the version
 * `<package version>-pr.<number>.<run number>` (a semver prerelease: below the next release, so a
 * preview never outranks what production ships), and what a tester does to join the channel.
 */
import { inputError } from '../errors.js'

export const DEFAULT_PREVIEW_CHANNEL = 'pr-{number}'
const CHANNEL = /^[a-z0-9][\w.-]{0,63}$/i

export function previewChannel(template: string | undefined, pullRequest: number): string {
  const channel = (template || DEFAULT_PREVIEW_CHANNEL).replaceAll('{number}', String(pullRequest))
  if (!CHANNEL.test(channel)) {
    throw inputError(
      'preview-channel',
      'input_preview_channel_invalid',
      `{{preview-channel}} must give a channel of letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit) once {number} is replaced; got '${channel}'.`,
    )
  }
  return channel
}

export function previewVersion(packageVersion: string, pullRequest: number, runNumber: number | string): string {
  const base = packageVersion.replace(/[-+].*$/, '')
  return `${base}-pr.${pullRequest}.${runNumber}`
}

/** Markdown for the PR comment: how a tester's phone joins the preview channel. */
export function previewJoinInstructions(channel: string, server: string): string {
  const allow =
    server === 'capgo'
      ? `The action allowed device self-assignment on this Capgo channel (\`allow_device_self_set\`); without it Capgo refuses the plugin's \`setChannel\`.`
      : server === 'self-hosted'
        ? `The self-hosted responder accepts any channel the app's records list: nothing to allow.`
        : `Your update server must let a device choose the channel \`${channel}\`.`
  return [
    `**Try it on a phone** (preview channel \`${channel}\`):`,
    '',
    '```ts',
    "import { CapacitorUpdater } from '@capgo/capacitor-updater'",
    `await CapacitorUpdater.setChannel({ channel: '${channel}', triggerAutoUpdate: true })`,
    '```',
    '',
    `${allow} Back to production: \`CapacitorUpdater.unsetChannel({})\`. The channel is deleted when the pull request closes.`,
  ].join('\n')
}
