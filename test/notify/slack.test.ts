import assert from 'node:assert/strict';
import { cycleEvents, type NotifyEvent } from '../../src/notify/events.js';
import { SLACK_LIMITS, slackMessage } from '../../src/notify/slack.js';
import { aKillThatRecovered } from '../daemon/helpers.js';

const recovery = cycleEvents(aKillThatRecovered, { version: '1.2.3', includeDryRun: false })[1] as NotifyEvent;

describe('Slack message (pure)', () => {
  it('is an incoming-webhook body: a text fallback and blocks with app, victims, outcome and time to recover', () => {
    const m = slackMessage(recovery);
    assert.deepEqual(Object.keys(m), ['text', 'blocks']);
    assert.match(m.text, /Recovered: \/shop\/cart: \/shop\/cart was back in steady state 42 s after the kill/);
    assert.deepEqual(
      m.blocks.map((b) => b.type),
      ['header', 'section', 'section', 'context'],
    );
    const header = m.blocks[0] as { text: { type: string; text: string } };
    assert.equal(header.text.type, 'plain_text');
    const fields = (m.blocks[2] as { fields: { type: string; text: string }[] }).fields.map((f) => f.text);
    assert.deepEqual(fields, ['*App*\n`/shop/cart`', '*Victims*\n`shop_cart.6f3a-1` on agent-1', '*Outcome*\nrecovered', '*Time to recover*\n42 s']);
    const context = (m.blocks[3] as { elements: { text: string }[] }).elements[0]?.text ?? '';
    assert.match(context, /cycle c-1 · seed office-chaos · marathon-monkey 1\.2\.3/);
  });

  it('escapes Slack markup in app ids and reasons, and keeps within Slack limits', () => {
    const victims = Array.from({ length: 30 }, (_, i) => ({ appId: '/x', taskId: `t${i}`, host: 'h', rack: null }));
    const e: NotifyEvent = { ...recovery, type: 'pause', apps: ['/<!channel>'], victims, detail: 'x'.repeat(5000), reason: 'a&b' };
    const m = slackMessage(e);
    const text = JSON.stringify(m);
    assert.ok(!text.includes('<!channel>'), 'no raw mention');
    assert.ok(text.includes('&lt;!channel&gt;'));
    assert.ok(text.includes('(a&amp;b)'));
    assert.ok(text.includes('… and 20 more'));
    const section = m.blocks[1] as { text: { text: string } };
    assert.ok(section.text.text.length <= SLACK_LIMITS.section);
    assert.ok(m.text.length <= SLACK_LIMITS.section);
  });
});
