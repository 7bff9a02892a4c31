import { checkExpectations, convergenceProblems, outcomeOf, type Observed } from '../../drill/expectations';
import { summaryText } from '../../drill/report';
import { castOf, scenarioNamed } from '../../drill/scenarios';
import type { DrillReport } from '../../drill/drill-report';
import { renderReportHtml } from '../../drill/report-html';
import { aConfig } from '../fixtures/config';
import { inRegionStreaming } from '../../drill/verify';

const aReport = (overrides: Partial<DrillReport> = {}): DrillReport => ({
  scenario: 'region-outage',
  cluster: 'orders',
  config: 'config/clusters.example.yml',
  startedAt: '2026-01-01T12:00:00.000Z',
  durationMs: 60_000,
  passed: true,
  expected: { outcome: 'promoted', promoted: 'standby_dr', description: 'standby_dr promoted in us-west-2; the old primary fenced' },
  problems: [],
  outcome: 'promoted',
  promoted: 'standby_dr',
  reasons: ['standby_dr chosen: 1.2 MB / 0.4 s behind'],
  timeline: [
    { step: 'stack up', startMs: 0, endMs: 8000 },
    { step: 'detection', startMs: 20_000, endMs: 51_000 },
    { step: 'PromoteCandidate', startMs: 53_000, endMs: 53_100 },
  ],
  faultAtMs: 20_000,
  detectionMs: 31_000,
  rtoMs: 34_500,
  appDowntimeMs: 34_450,
  dnsRtoMs: 124_000,
  dnsModel: { pendingMs: 60_000, ttlSeconds: 30, pending: null },
  rpo: { ackedRowsLost: 12, ackedRows: 20_000, receiptBytes: 1_200_000, receiptSeconds: 0.4, receiptUpperBoundBytes: 1_500_000 },
  dns: { record: 'db.orders.internal', target: 'pg-dr.usw2.orders.internal' },
  ssm: [{ region: 'us-west-2', name: '/orders/prod/DATABASE_URL', host: '127.0.0.1', port: 54323 }],
  oldPrimaryFenced: true,
  nodes: [{ name: 'standby_dr', configuredRole: 'async-standby', observed: 'writable', instanceState: 'running', timeline: 2, upstream: null }],
  legs: [],
  probe: null,
  app: { parameter: { region: 'us-west-2', name: '/orders/prod/DATABASE_URL' }, writes: 900, failures: 600, urlReads: 601, interrupted: true, recovered: true, lastError: null },
  alarm: {
    name: 'pgfo-local-orders-primary-unreachable',
    metric: 'PrimaryReachable',
    statistic: 'Maximum',
    threshold: 1,
    comparison: 'LessThanThreshold',
    periodSeconds: 10,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'breaching',
    transitions: [{ atMs: 51_000, from: 'OK', to: 'ALARM', reason: '3 of the 3 most recent datapoints breach' }],
  },
  shortened: ['monitor sampleIntervalSeconds: 1 s instead of 10 s'],
  series: {
    primaryReachable: [{ t: 10_000, v: 1 }, { t: 21_000, v: 0 }],
    lag: [
      { node: 'standby_az2', seconds: [{ t: 10_000, v: 0 }], bytes: [{ t: 10_000, v: 0 }] },
      { node: 'standby_dr', seconds: [{ t: 10_000, v: 0.4 }, { t: 30_000, v: 12 }], bytes: [{ t: 10_000, v: 1_200_000 }] },
    ],
    rpoSeconds: 30,
    maxLagBytes: 16 * 1024 * 1024,
  },
  convergence: null,
  receipt: null,
  kept: null,
  error: null,
  ...overrides,
});

describe('drill report page', () => {
  it('is one self-contained document: inline SVG, no script, no external asset', () => {
    const html = renderReportHtml(aReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import/i);
    // the only URL is the SVG namespace
    expect(html.match(/https?:\/\/[^"]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(4);
  });

  it('draws the alarm threshold, the lag thresholds, one line per standby and the fault and alarm markers', () => {
    const html = renderReportHtml(aReport());
    expect(html).toContain('alarm: LessThanThreshold 1');
    expect(html).toContain('replication-lag alarm: &gt; 30 s (RPO)');
    expect(html).toContain('lag guard: 16 MB');
    expect(html.match(/<path [^>]*><title>standby_dr<\/title>/g)).toHaveLength(2);
    expect(html).toContain('>fault</text>');
    expect(html).toContain('>alarm</text>');
    expect(html).toContain('>app writes</text>');
  });

  it('shows every number and each timeline step', () => {
    const html = renderReportHtml(aReport());
    for (const text of ['31.0 s', '34.5 s', '12 of 20000', '1.1 MB / 400 ms', '1.4 MB', 'pg-dr.usw2.orders.internal', '127.0.0.1:54323', 'PASSED']) {
      expect(html).toContain(text);
    }
    expect(html.match(/<rect /g)).toHaveLength(3);
  });

  it('escapes what comes from outside (reasons, errors)', () => {
    const html = renderReportHtml(aReport({ passed: false, reasons: ['<script>alert(1)</script>'], problems: ['a & b'] }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).toContain('FAILED');
  });

  it('still renders a drill that stopped early (no series, no timeline)', () => {
    const html = renderReportHtml(aReport({ timeline: [], series: { primaryReachable: [], lag: [], rpoSeconds: 30, maxLagBytes: 1 }, faultAtMs: null, detectionMs: null, rtoMs: null }));
    expect(html).toContain('n/a');
    expect(html).not.toContain('NaN');
  });
});

/** The SVG graphs of a page, each with its width (viewBox) and the elements this test reads. */
const graphsOf = (html: string) =>
  [...html.matchAll(/<svg viewBox="0 0 (\d+) (\d+)"[^>]*>([\s\S]*?)<\/svg>/g)].map(([, width, , body]) => ({ width: Number(width), body: body! }));
const attributes = (element: string): Record<string, string | undefined> =>
  Object.fromEntries([...element.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]): [string, string] => [k!, v!]));
/** Every <text>: where it is anchored, and its extent with at most 7 px per character of 11 px type. */
const textsOf = (body: string) =>
  [...body.matchAll(/<text ([^>]*)>([^<]*)</g)].map(([, attrs, text]) => {
    const a = attributes(attrs!);
    const x = Number(a.x);
    const width = text!.replace(/&\w+;/g, '_').length * 7;
    const [from, to] = a['text-anchor'] === 'end' ? [x - width, x] : a['text-anchor'] === 'middle' ? [x - width / 2, x + width / 2] : [x, x + width];
    return { text: text!, className: a.class, y: Number(a.y), from, to };
  });

describe('drill report graphs', () => {
  // Markers crowd the right edge: fault, alarm, promotion and recovery within the last five seconds.
  const crowded = aReport({
    durationMs: 100_000,
    faultAtMs: 95_000,
    detectionMs: 1000,
    rtoMs: 3500,
    timeline: [
      { step: 'stack up', startMs: 0, endMs: 8000 },
      { step: 'PromoteCandidate', startMs: 96_500, endMs: 97_000 },
      { step: 'teardown', startMs: 97_000, endMs: 100_000 },
    ],
    alarm: { ...aReport().alarm, transitions: [{ atMs: 96_000, from: 'OK', to: 'ALARM', reason: 'breaching' }] },
  });

  it('keeps every label inside its graph, also next to a marker or a bar at the right edge', () => {
    for (const { width, body } of graphsOf(renderReportHtml(crowded))) {
      for (const label of textsOf(body)) {
        expect({ label: label.text, from: label.from >= 0, to: label.to <= width }).toEqual({ label: label.text, from: true, to: true });
      }
    }
  });

  it('puts marker labels where no two overlap', () => {
    for (const { body } of graphsOf(renderReportHtml(crowded)).slice(0, 3)) {
      const labels = textsOf(body).filter((t) => t.className === 'marker-label');
      expect(labels.map((l) => l.text)).toEqual(['fault', 'alarm', 'promoted', 'app writes', 'DNS + TTL']);
      for (const [i, a] of labels.entries()) {
        for (const b of labels.slice(i + 1)) expect({ pair: [a.text, b.text], overlap: a.y === b.y && a.from < b.to && b.from < a.to }).toEqual({ pair: [a.text, b.text], overlap: false });
      }
    }
  });

  it('draws each legend entry in the colour and width of its line, none in the threshold’s red', () => {
    const [, lagSeconds] = graphsOf(renderReportHtml(aReport()));
    const drawn = (attrs: string, name: string) => ({ name, stroke: attributes(attrs).stroke, width: attributes(attrs)['stroke-width'] });
    const paths = [...lagSeconds!.body.matchAll(/<path ([^>]*)><title>([^<]*)<\/title>/g)].map(([, attrs, name]) => drawn(attrs!, name!));
    const legend = [...lagSeconds!.body.matchAll(/<line ([^>]*)\/><text [^>]*class="legend">([^<]*)</g)].map(([, attrs, name]) => drawn(attrs!, name!));
    expect(paths.map((p) => p.name)).toEqual(['standby_az2', 'standby_dr']);
    expect(legend).toEqual(paths);
    expect(new Set(paths.map((p) => p.stroke)).size).toBe(2);
    for (const { stroke } of paths) expect(stroke).not.toMatch(/^#(cf222e|d62728)$/i);
  });

  it('draws later lines thinner, so that a line hidden under another still shows at its edges', () => {
    const same = [{ t: 10_000, v: 3 }, { t: 30_000, v: 9 }];
    const html = renderReportHtml(aReport({ series: { ...aReport().series, lag: [{ node: 'standby_az2', seconds: same, bytes: [] }, { node: 'standby_dr', seconds: same, bytes: [] }] } }));
    const widths = [...graphsOf(html)[1]!.body.matchAll(/<path [^>]*stroke-width="([\d.]+)"/g)].map(([, w]) => Number(w));
    expect(widths).toHaveLength(2);
    expect(widths[0]!).toBeGreaterThan(widths[1]! + 1);
  });
});

describe('drill summary', () => {
  it('gives the RTO through DNS next to the RTO through DATABASE_URL, and says when DNS was pending', () => {
    const text = summaryText(aReport({ dnsModel: { pendingMs: 60_000, ttlSeconds: 30, pending: 'DNS pending: AwsTransientError: route53 down' } }));
    expect(text).toContain('RTO via DNS   2 min 4 s (fault → record INSYNC on Route 53 + TTL 30 s; Route 53 PENDING modelled for 1 min)');
    expect(text).toContain('DNS pending   AwsTransientError: route53 down');
    expect(renderReportHtml(aReport())).toContain('RTO via DNS (fault → record INSYNC on Route 53 + TTL)');
  });

  it('says whether it passed, the measured numbers and each problem', () => {
    const text = summaryText(aReport({ passed: false, problems: ['DNS points at nothing'] }));
    expect(text).toContain('drill region-outage on orders: FAILED');
    expect(text).toContain('detection     31.0 s');
    expect(text).toContain('RTO           34.5 s');
    expect(text).toContain('PROBLEM       DNS points at nothing');
  });

  it('writes sizes and durations for people', () => {
    const report = aReport();
    const text = summaryText(report);
    expect(text).toContain('RPO           12 of 20000 acknowledged rows lost; receipt 1.1 MB / 400 ms behind (upper bound 1.4 MB)');
    expect(text).not.toMatch(/\d bytes|\d{4,} s\b/);
    expect(renderReportHtml(report)).not.toMatch(/\d bytes/);
  });

  it('tells how to reach a kept stack, naming where passwords are kept but never a password', () => {
    const kept = {
      stateFile: '.drill/state.json',
      emulatorEndpoint: 'http://127.0.0.1:40000',
      configFile: 'clusters.local.json',
      nodes: [{ cluster: 'orders', node: 'primary', host: '127.0.0.1', port: 54321, user: 'pgfo_failover', passwordSource: 'SSM SecureString /pgfo/orders/failover-password' }],
      superuser: ['orders/primary: psql -h sock -p 54321 -U postgres'],
    };
    const text = summaryText(aReport({ kept }));
    expect(text).toContain('emulator http://127.0.0.1:40000');
    expect(text).toContain('orders/primary 127.0.0.1:54321 user pgfo_failover, password: SSM SecureString /pgfo/orders/failover-password');
    expect(text).toContain('npm run drill -- --down');
  });
});

describe('drill expectations', () => {
  const cluster = aConfig().clusters[0]!;
  const cast = castOf(cluster);
  const dr = cluster.nodes.find((n) => n.name === 'standby_dr')!;
  const healthyApp = { interrupted: true, recovered: true, rtoMs: 30_000, downtimeMs: 30_000 };
  const observed = (overrides: Partial<Observed> = {}): Observed => ({
    writers: ['standby_dr'],
    dnsTarget: dr.dnsName,
    ssm: cluster.databaseUrlParameters.map((p) => ({ ...p, host: dr.host, port: dr.port })),
    reasons: ['standby_dr chosen'],
    ackedRowsLost: 40,
    oldPrimaryFenced: true,
    app: healthyApp,
    ...overrides,
  });
  const regionOutage = scenarioNamed('region-outage').expect(cast);

  it('finds the DR replica as the expected promotion of a region outage, by role and region', () => {
    expect(regionOutage).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', zeroLoss: false });
    expect(scenarioNamed('primary-crash').expect(cast)).toMatchObject({ promoted: 'standby_az2', zeroLoss: true });
  });

  it('passes a region outage that moved everything to the DR replica', () => {
    expect(checkExpectations(regionOutage, observed(), cast, cluster.nodes)).toEqual([]);
  });

  it('names each thing that did not move, and a split brain', () => {
    const problems = checkExpectations(
      regionOutage,
      observed({ writers: ['primary', 'standby_dr'], dnsTarget: cast.primary.dnsName, oldPrimaryFenced: false }),
      cast,
      cluster.nodes,
    );
    expect(problems).toEqual([
      'split brain: primary and standby_dr all take writes',
      `DNS points at ${cast.primary.dnsName}, expected ${dr.dnsName}`,
      'the old primary primary is not fenced (instance stopped, PostgreSQL down)',
    ]);
  });

  it('fails a zero-loss scenario that lost an acknowledged row', () => {
    const sync = cluster.nodes.find((n) => n.name === 'standby_az2')!;
    const problems = checkExpectations(
      scenarioNamed('primary-crash').expect(cast),
      observed({ writers: ['standby_az2'], dnsTarget: sync.dnsName, ssm: [{ ...cluster.databaseUrlParameters[0]!, host: sync.host, port: sync.port }], ackedRowsLost: 1 }),
      cast,
      cluster.nodes,
    );
    expect(problems).toEqual(['1 acknowledged row(s) lost where none may be']);
  });

  it('wants the refusal reason of a lagging DR, and an untouched application on a false alarm', () => {
    const primaryTraffic = { dnsTarget: cast.primary.dnsName, ssm: [{ ...cluster.databaseUrlParameters[0]!, host: cast.primary.host, port: cast.primary.port }] };
    expect(
      checkExpectations(scenarioNamed('lagging-dr').expect(cast), observed({ writers: [], reasons: ['standby_dr does not answer'], ...primaryTraffic }), cast, cluster.nodes),
    ).toEqual(['no reason matches /behind \\(cap /: standby_dr does not answer']);
    expect(
      checkExpectations(scenarioNamed('false-alarm').expect(cast), observed({ writers: ['primary'], reasons: ['primary answers the database probe: no failover'], ackedRowsLost: 0, ...primaryTraffic }), cast, cluster.nodes),
    ).toEqual(['the application lost writes although primary stayed the writer']);
  });

  it('calls promoted only a node other than the old primary that takes writes', () => {
    expect(outcomeOf(['primary'], 'primary')).toEqual({ outcome: 'not-promoted', promoted: null });
    expect(outcomeOf(['standby_az2'], 'primary')).toEqual({ outcome: 'promoted', promoted: 'standby_az2' });
  });
});

describe('what the convergence finished, against the goal', () => {
  const figures = { dependency: 'SSM in us-west-2', backAtMs: 90_000, urlsOnWriterMs: 12_000, failoverStartedMs: null, startedBy: null, goalMs: 60_000, invocations: 3 };

  it('holds within the goal, and names the figure and the dependency above it', () => {
    expect(convergenceProblems(null)).toEqual([]);
    expect(convergenceProblems(figures)).toEqual([]);
    expect(convergenceProblems({ ...figures, urlsOnWriterMs: 61_000 })).toEqual(['SSM in us-west-2 answering → every DATABASE_URL on the writer took 1 min 1 s, above the goal of 1 min']);
  });

  it('a failover started by a new alarm event does not prove the restart', () => {
    expect(convergenceProblems({ ...figures, urlsOnWriterMs: null, failoverStartedMs: 5000, startedBy: 'alarm' })).toEqual([expect.stringMatching(/started by a new alarm event, not by the convergence/)]);
  });
});

describe('a new writer’s in-region standbys', () => {
  const members = [
    { name: 'a', region: 'us-east-1' },
    { name: 'b', region: 'us-east-1' },
    { name: 'c', region: 'us-west-2' },
  ];
  const node = (name: string, observed: 'writable' | 'standby' | 'down', upstream: string | null) => ({ name, observed, upstream });

  it('names the standbys in the writer’s region that stream from it, not those elsewhere, down or streaming from another node', () => {
    expect(inRegionStreaming(members, [node('a', 'standby', 'b'), node('b', 'writable', null), node('c', 'standby', 'b')], 'b')).toEqual(['a']);
    expect(inRegionStreaming(members, [node('a', 'down', null), node('b', 'writable', null), node('c', 'standby', 'b')], 'b')).toEqual([]);
    expect(inRegionStreaming(members, [node('a', 'standby', 'c'), node('b', 'writable', null)], 'b')).toEqual([]);
    expect(inRegionStreaming(members, [node('a', 'standby', 'x')], 'x')).toEqual([]);
  });
});
