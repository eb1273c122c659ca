/**
 * A notification event as a Slack incoming-webhook message (pure): `text` is the fallback Slack
 * shows in notifications and where blocks cannot be drawn, `blocks` the Block Kit layout (a header,
 * a section with the sentence, a section of fields: apps, victims, outcome, time to recover, and a
 * context line with the cycle, seed and version).
 */
import { seconds, type NotifyEvent, type NotifyEventType } from './events.js';

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's limits: a header's plain text, a section's text, one field, the fields of one section. */
export const SLACK_LIMITS = { header: 150, section: 3000, field: 2000, fields: 10 } as const;

const TITLES: Record<NotifyEventType, string> = {
  kill: ':boom: Chaos kill',
  'dry-run-kill': ':see_no_evil: Dry run: would kill',
  recovery: ':white_check_mark: Recovered',
  weakness: ':warning: Weakness found',
  halt: ':octagonal_sign: Chaos halted',
  pause: ':double_vertical_bar: Chaos paused',
  resume: ':arrow_forward: Chaos resumed',
};

/** Victims listed by name before "and N more": a host or rack kill can take dozens of tasks. */
const MAX_VICTIMS_LISTED = 10;

export function slackMessage(event: NotifyEvent): SlackMessage {
  const title = escape(`${TITLES[event.type]}${event.apps.length > 0 ? `: ${event.apps.join(', ')}` : ''}`);
  const fields: SlackText[] = [];
  if (event.apps.length > 0) fields.push(field('App', event.apps.map((a) => `\`${escape(a)}\``).join(', ')));
  if (event.victims.length > 0) {
    const listed = event.victims.slice(0, MAX_VICTIMS_LISTED).map((v) => `\`${escape(v.taskId)}\` on ${escape(v.host)}`);
    const more = event.victims.length - listed.length;
    fields.push(field('Victims', `${listed.join('\n')}${more > 0 ? `\n… and ${more} more` : ''}`));
  }
  fields.push(field('Outcome', escape(event.outcome) + (event.reason === null ? '' : ` (${escape(event.reason)})`)));
  if (event.timeToRecoverMs !== null) fields.push(field('Time to recover', seconds(event.timeToRecoverMs)));
  const context = [`cycle ${event.cycleId ?? '–'}`, `seed ${event.monkey.seed}`, `marathon-monkey ${event.monkey.version}`, event.time].map(escape).join(' · ');
  return {
    text: cut(`${title}: ${escape(event.detail)}`, SLACK_LIMITS.section),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(title, SLACK_LIMITS.header) } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(escape(event.detail), SLACK_LIMITS.section) } },
      { type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: cut(context, SLACK_LIMITS.section) }] },
    ],
  };
}

function field(name: string, value: string): SlackText {
  return { type: 'mrkdwn', text: cut(`*${name}*\n${value}`, SLACK_LIMITS.field) };
}

/**
 * Slack reads `&`, `<` and `>` as markup (`<!channel>` pings a whole channel); app ids, labels and
 * operator reasons are not ours to trust, so they are escaped as Slack's formatting guide says.
 */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
