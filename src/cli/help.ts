import { describeFlags, type FlagSpecs } from './args.js'

export interface CommandHelp {
  usage: string
  summary: string
  flags: FlagSpecs
  examples: string[]
}

export function renderHelp(help: CommandHelp): string {
  return [
    `Usage: ${help.usage}`,
    '',
    help.summary,
    '',
    'Options:',
    describeFlags(help.flags),
    '  -h, --help',
    '      Show this help.',
    '',
    'Examples:',
    ...help.examples.map((example) => `  ${example}`),
    '',
  ].join('\n')
}
