/**
 * Alert channels that deliver, over HTTP with a fake clock: a fleet's dashboard is
 * enabled with alerts whose triggers go to a Slack incoming webhook (a local receiver)
 * and by e-mail (a local SMTP server, smtp-server + mailparser); each arrives once,
 * saying what crossed which threshold, and is recorded as a delivered attempt. A server
 * without SMTP_URL refuses e-mail channels; bad dashboards and alerts are refused
 * with the path of the mistake.
 */
import type { AddressInfo } from 'node:net';

import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assignWork, createFleet, mutate } from '../fleets/helpers.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { startJsonEndpoint, type JsonEndpoint } from '../support/json-endpoint.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** An SMTP server on 127.0.0.1 that keeps every message it accepts. */
async function startSmtpServer() {
  const messages: Array<{ envelopeTo: string[]; mail: ParsedMail }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push({ envelopeTo: session.envelope.rcptTo.map((to) => to.address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const FLEET = {
  name: 'Support',
  workerTemplate: { role: 'CustomerSupportRepresentative' },
  scaling: { min: 1, max: 1 },
};

describe('alert channels', () => {
  const clock = new FakeClock(new Date());
  let app: TestApp;
  let slack: JsonEndpoint;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    slack = await startJsonEndpoint('/services/T000/B000/XXXX', () => 'ok');
    smtp = await startSmtpServer();
    app = await createTestApp({ clock, env: { OUTBOUND_ALLOW: '127.0.0.1', SMTP_URL: smtp.url, ALERT_EMAIL_FROM: 'Workforce <alerts@example.com>' } });
    await app.app.scheduler.stop(); // explicit ticks only
  });
  afterAll(async () => {
    await app?.close();
    await slack?.close();
    await smtp?.close();
  });

  it('delivers triggered alerts to Slack and by e-mail, once each, configured with the dashboard', async () => {
    const fleetId = await createFleet(app, FLEET);
    const enabled = await mutate(
      app,
      'enableFleetDashboard',
      'EnableFleetDashboardInput',
      {
        fleetId,
        metrics: ['THROUGHPUT', 'LATENCY', 'ERROR_RATE', 'UTILIZATION'],
        refreshIntervalMs: 5000,
        alerts: [
          { metric: 'QUEUE_DEPTH', threshold: 1, channel: 'slack', slackWebhookUrl: slack.url },
          { metric: 'QUEUE_DEPTH', threshold: 1, channel: 'email', emailTo: ['ops@example.com', 'lead@example.com'] },
          { metric: 'ERROR_RATE', threshold: 0.5, channel: 'pagerduty' },
        ],
      },
      '... on Fleet { dashboard { metrics refreshIntervalMs enabledAt } alerts { channel webhook { kind url } } }',
    );
    expect(enabled).toMatchObject({
      __typename: 'Fleet',
      dashboard: { metrics: ['THROUGHPUT', 'LATENCY', 'ERROR_RATE', 'UTILIZATION'], refreshIntervalMs: 5000, enabledAt: clock.now().toISOString() },
      alerts: [
        { channel: 'slack', webhook: { kind: 'SLACK', url: slack.url } },
        { channel: 'email', webhook: { kind: 'EMAIL', url: 'mailto:ops@example.com,lead@example.com' } },
        { channel: 'pagerduty', webhook: null },
      ],
    });

    // 1 assigned + 2 queued: the queue crosses 1, both channels' alerts fire once.
    await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }, { action: 'c' }]);
    await eventually(async () => {
      const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { alerts { firing } } }`, { id: fleetId });
      return fleet.alerts[0].firing && fleet.alerts[1].firing ? true : undefined;
    });
    await app.app.scheduler.tick();

    await eventually(async () => (slack.requests.length === 1 && smtp.messages.length === 1 ? true : undefined));
    expect(slack.requests[0]).toEqual({
      text: 'Alert triggered: QUEUE_DEPTH is 2',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('QUEUE_DEPTH went above its threshold of 1.') } }],
    });
    const [{ envelopeTo, mail }] = smtp.messages as [(typeof smtp.messages)[number]];
    expect(envelopeTo).toEqual(['ops@example.com', 'lead@example.com']);
    expect(mail.from?.value).toEqual([{ name: 'Workforce', address: 'alerts@example.com' }]);
    expect(mail.subject).toBe('Alert triggered: QUEUE_DEPTH is 2');
    expect(mail.text).toContain('QUEUE_DEPTH went above its threshold of 1.');
    expect(mail.text).toContain('Channel: email');

    const { fleet } = await app.data(
      `query ($id: ID!) { fleet(id: $id) { alerts { webhook { deliveries { edges { node { eventType status attempts { statusCode error } } } } } } } }`,
      { id: fleetId },
    );
    const deliveries = fleet.alerts.slice(0, 2).map((alert: any) => alert.webhook.deliveries.edges.map((edge: any) => edge.node));
    expect(deliveries).toEqual([
      [{ eventType: 'Fleet.alert.triggered', status: 'DELIVERED', attempts: [{ statusCode: 200, error: null }] }],
      [{ eventType: 'Fleet.alert.triggered', status: 'DELIVERED', attempts: [{ statusCode: null, error: null }] }],
    ]);

    // Nothing more to send: another tick delivers nothing twice.
    clock.advance(60_000);
    await app.app.scheduler.tick();
    expect(slack.requests).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('refuses bad dashboards and alerts with the path of the mistake', async () => {
    const fleetId = await createFleet(app, { ...FLEET, name: 'Billing' });
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ metrics: ['THROUGHPUT'], refreshIntervalMs: 10 }, ['refreshIntervalMs']],
      [{ metrics: [] }, ['metrics']],
      [{ metrics: ['UTILIZATION'], alerts: [{ metric: 'UTILIZATION', threshold: 0.9, channel: 'email', emailTo: ['not-an-address'] }] }, ['alerts', '0', 'emailTo', '0']],
      [
        { metrics: ['UTILIZATION'], alerts: [{ metric: 'UTILIZATION', threshold: 0.9, channel: 'slack', slackWebhookUrl: slack.url, emailTo: ['ops@example.com'] }] },
        ['alerts', '0', 'webhookUrl'],
      ],
    ];
    for (const [input, path] of cases) {
      const refused = await mutate(app, 'enableFleetDashboard', 'EnableFleetDashboardInput', { fleetId, ...input }, '');
      expect(refused.__typename, JSON.stringify(input)).toBe('ValidationError');
      expect(refused.issues.map((issue: { path: string[] }) => issue.path)).toContainEqual(path);
    }
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { dashboard { metrics } alerts { id } } }`, { id: fleetId });
    expect(fleet).toEqual({ dashboard: null, alerts: [] });
  });
});

describe('a server without SMTP_URL', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses e-mail alert channels, naming the variable to set', async () => {
    const fleetId = await createFleet(app, FLEET);
    const refused = await mutate(
      app,
      'configureFleetAlerts',
      'ConfigureFleetAlertsInput',
      { fleetId, alerts: [{ metric: 'QUEUE_DEPTH', threshold: 5, channel: 'email', emailTo: ['ops@example.com'] }] },
      '',
    );
    expect(refused).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['alerts', '0', 'emailTo'], message: 'e-mail is not configured on this server (set SMTP_URL)' }],
    });
  });
});
