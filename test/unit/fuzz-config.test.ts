import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfigText } from '../../shared/config/load';
import type { FailoverConfig } from '../../shared/config/schema';
import { ConfigError } from '../../shared/errors';
import { malformed, namesDefect, withValueAt, type Family, type Field, type Malformed, type Path } from '../fixtures/arbitraries';
import { aConfig } from '../fixtures/config';

const RUNS = 1000;
const SOURCE = 'clusters.yml';
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
// eslint-disable-next-line no-control-regex -- mirrors the schema's pattern, which refuses the NUL byte
const LOGIN = { type: 'string', min: 1, max: 63, pattern: /^[^\u0000]+$/ } as const;

/** The example configuration with a logical subscriber, so that its fields are fuzzed too. */
const base = (): FailoverConfig => {
  const config = aConfig();
  config.clusters[0]!.subscribers = [{ name: 'reporting', region: 'us-east-1', host: '10.0.0.9', port: 5432, database: 'orders', subscription: 'orders_sub' }];
  return config;
};

const c = (...rest: Path) => ['clusters', 0, ...rest];
const int = (min: number, max?: number) => ({ type: 'number', int: true, min, ...(max === undefined ? {} : { max }) }) as const;
const nodeFields = (i: number): Field[] => [
  { path: c('nodes', i), rule: { type: 'object' } },
  { path: c('nodes', i, 'name'), rule: { type: 'string', pattern: NAME } },
  { path: c('nodes', i, 'role'), rule: { type: 'string', oneOf: ['primary', 'sync-standby', 'async-standby'] } },
  { path: c('nodes', i, 'region'), rule: { type: 'string', pattern: REGION } },
  { path: c('nodes', i, 'az'), rule: { type: 'string', pattern: /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/ } },
  { path: c('nodes', i, 'instanceId'), rule: { type: 'string', pattern: /^i-[0-9a-f]{8,17}$/ } },
  { path: c('nodes', i, 'host'), rule: { type: 'string', min: 1, max: 253 } },
  { path: c('nodes', i, 'port'), rule: int(1, 65535) },
  { path: c('nodes', i, 'dnsName'), rule: { type: 'string', min: 1, max: 253 } },
];
const optional = (path: Path, rule: Field['rule']): Field => ({ path, rule, optional: true });

const configurations: Family = {
  base,
  fields: [
    { path: ['controlRegions'], rule: { type: 'array', min: 1, max: 3 } },
    { path: ['controlRegions', 0], rule: { type: 'string', pattern: REGION } },
    { path: ['controlRegions', 1], rule: { type: 'string', pattern: REGION } },
    // As loaded, the region of the stack running the code; in a file, the older form of one region.
    optional(['controlRegion'], { type: 'string', pattern: REGION }),
    optional(['namespace'], { type: 'string', pattern: /^[A-Za-z0-9_./#:-]{1,255}$/ }),
    { path: ['clusters'], rule: { type: 'array', min: 1, max: 100 } },
    { path: c(), rule: { type: 'object' } },
    { path: c('name'), rule: { type: 'string', pattern: NAME } },
    { path: c('database'), rule: LOGIN },
    { path: c('nodes'), rule: { type: 'array', min: 2, max: 16 } },
    ...[0, 1, 2].flatMap(nodeFields),
    optional(c('subscribers'), { type: 'array', max: 16 }),
    { path: c('subscribers', 0, 'name'), rule: { type: 'string', pattern: NAME } },
    { path: c('subscribers', 0, 'region'), rule: { type: 'string', pattern: REGION } },
    { path: c('subscribers', 0, 'host'), rule: { type: 'string', min: 1, max: 253 } },
    { path: c('subscribers', 0, 'port'), rule: int(1, 65535) },
    { path: c('subscribers', 0, 'database'), rule: LOGIN },
    { path: c('subscribers', 0, 'subscription'), rule: { type: 'string', min: 1, max: 63 } },
    { path: c('route53'), rule: { type: 'object' } },
    { path: c('route53', 'hostedZoneId'), rule: { type: 'string', pattern: /^[A-Z0-9]{1,32}$/ } },
    { path: c('route53', 'recordName'), rule: { type: 'string', min: 1, max: 253 } },
    optional(c('route53', 'ttl'), int(0, 86400)),
    { path: c('databaseUrlParameters'), rule: { type: 'array', min: 1, max: 20 } },
    { path: c('databaseUrlParameters', 0, 'region'), rule: { type: 'string', pattern: REGION } },
    { path: c('databaseUrlParameters', 0, 'name'), rule: { type: 'string', pattern: SSM_NAME } },
    { path: c('credentials'), rule: { type: 'object' } },
    ...(['monitor', 'failover'] as const).flatMap((login): Field[] => [
      { path: c('credentials', login), rule: { type: 'object' } },
      { path: c('credentials', login, 'user'), rule: LOGIN },
      { path: c('credentials', login, 'passwordParameter'), rule: { type: 'string', pattern: SSM_NAME } },
    ]),
    optional(c('policy'), { type: 'object' }),
    optional(c('policy', 'rpoSeconds'), { type: 'number', positive: true, max: 86400 }),
    optional(c('policy', 'maxLagBytes'), int(0)),
    optional(c('policy', 'maxLagSeconds'), { type: 'number', min: 0 }),
    optional(c('policy', 'requiredSignals'), int(1, 4)),
    optional(c('policy', 'recheckAfterSeconds'), int(0, 600)),
    optional(c('policy', 'rechecks'), int(0, 5)),
    optional(c('policy', 'metricStaleSeconds'), int(10, 3600)),
    optional(c('policy', 'requireFencing'), { type: 'string', oneOf: ['always', 'unless-region-unreachable', 'never'] }),
    optional(c('policy', 'fenceTimeoutSeconds'), int(1, 600)),
    optional(c('policy', 'cooldownSeconds'), int(0, 86400)),
    optional(c('policy', 'leaseSeconds'), int(60, 86400)),
    optional(c('policy', 'promoteTimeoutSeconds'), int(1, 600)),
    optional(c('policy', 'dnsSyncTimeoutSeconds'), int(1, 900)),
    optional(c('monitor'), { type: 'object' }),
    optional(c('monitor', 'sampleIntervalSeconds'), { type: 'number', min: 1, max: 60 }),
    optional(c('monitor', 'samplesPerInvocation'), int(1, 60)),
    optional(c('monitor', 'connectTimeoutMs'), int(100, 30000)),
    optional(c('monitor', 'queryTimeoutMs'), int(100, 30000)),
    optional(c('alarms'), { type: 'object' }),
    { path: c('alarms', 'periodSeconds'), rule: { type: 'number', int: true }, optional: true, invalid: fc.constantFrom(0, 5, 20, 45, 61, 90, -60) },
    optional(c('alarms', 'evaluationPeriods'), int(1, 100)),
    optional(c('alarms', 'datapointsToAlarm'), int(1, 100)),
    optional(c('alarms', 'notifyDatapointsToAlarm'), int(1, 100)),
  ],
  strict: [[], c(), c('nodes', 1), c('subscribers', 0), c('route53'), c('databaseUrlParameters', 0), c('credentials'), c('credentials', 'failover'), c('policy'), c('monitor'), c('alarms')],
};

/** Rules the schema alone cannot express, each broken on its own. */
const semantic: fc.Arbitrary<Malformed> = fc.constantFrom<[Path, unknown, string]>(
  [c('nodes', 1, 'role'), 'primary', 'clusters[0].nodes: expected exactly one node with role "primary"'],
  [c('nodes', 0, 'role'), 'sync-standby', 'clusters[0].nodes: expected exactly one node with role "primary"'],
  [c('nodes', 2, 'name'), 'primary', 'clusters[0].nodes: node name "primary" is used more than once'],
  [c('subscribers', 0, 'name'), 'standby_dr', 'clusters[0].nodes: node name "standby_dr" is used more than once'],
  [c('nodes', 1, 'instanceId'), 'i-0000000000000001a', 'clusters[0].nodes: instanceId'],
  [c('databaseUrlParameters', 1, 'region'), 'us-east-1', 'clusters[0].databaseUrlParameters:'],
  [c('alarms', 'datapointsToAlarm'), 4, 'clusters[0].alarms.datapointsToAlarm: must not exceed'],
  [c('alarms', 'notifyDatapointsToAlarm'), 4, 'clusters[0].alarms.notifyDatapointsToAlarm: must not exceed'],
  [c('monitor', 'samplesPerInvocation'), 7, 'clusters[0].monitor: samplesPerInvocation'],
  [c('policy', 'leaseSeconds'), 600, 'clusters[0].policy.leaseSeconds: 600 s must exceed'],
  [['clusters', 1], base().clusters[0], 'clusters: cluster name "orders" is used more than once'],
  [['controlRegions', 1], 'us-west-2', 'controlRegions: us-west-2 is listed more than once'],
  [['controlRegion'], 'us-east-1', 'controlRegion: us-east-1 is not one of controlRegions (us-west-2, us-east-2)'],
  [['controlRegions'], ['us-west-2'], 'controlRegions: no control region outside us-west-2, where orders/standby_dr is'],
  [['witnessRegion'], 'us-east-2', 'witnessRegion: must differ from every control region (us-east-2 is one)'],
  [['deployment', 'writerLease', 'replicaRegions'], ['us-west-2', 'us-west-1'], 'deployment.writerLease.replicaRegions: must include the control region us-east-2'],
).map(([path, value, expected]) => ({ input: withValueAt(base(), path, value), path: expected, defect: 'semantic' }));

/** Documents only YAML can write, or that are not documents at all. */
const textual = fc.constantFrom(
  '',
  '- just\n- a list',
  'just a string',
  '\u0000',
  'controlRegion: us-west-2\ncontrolRegion: us-east-1\n',
  '---\ncontrolRegion: us-west-2\n---\ncontrolRegion: us-east-1\n',
  'controlRegion: us-west-2\n\tclusters: []\n',
  '{"controlRegion": "us-west-2", "clusters": [',
  'clusters: *nowhere\n',
  '!!binary aGVsbG8=',
  `a: &a ["x","x","x","x","x","x","x","x","x"]\n${'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`).join('\n')}\n`,
  'controlRegion: !!js/function "function () { return process.exit(1) }"\nclusters: []\n',
  '<<: {controlRegion: us-west-2}\n',
);

const documentOf = (input: unknown, format: 'yaml' | 'json'): string => (format === 'yaml' ? stringify(input) : JSON.stringify(input) ?? 'null');

const refusal = (text: string): Error => {
  try {
    parseConfigText(text, SOURCE);
  } catch (error) {
    return error as Error;
  }
  return new Error('accepted');
};

describe('hostile and malformed configuration files', () => {
  it(`are refused with ConfigError naming the field (${RUNS} documents, YAML and JSON)`, () => {
    const seen: Record<string, number> = {};
    const arbitrary = fc.tuple(fc.oneof({ weight: 9, arbitrary: malformed(configurations, { documentOnly: true }) }, { weight: 1, arbitrary: semantic }), fc.constantFrom('yaml' as const, 'json' as const));
    fc.assert(
      fc.property(arbitrary, ([defect, format]) => {
        seen[defect.defect] = (seen[defect.defect] ?? 0) + 1;
        const error = refusal(documentOf(defect.input, format));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message.startsWith(`${SOURCE}: invalid configuration:\n  `)).toBe(true);
        const named = defect.defect === 'semantic' ? error.message.includes(defect.path) : namesDefect(error.message, defect, ['controlRegions', 'controlRegion', 'namespace', 'clusters']);
        if (!named) throw new Error(`${format}: "${error.message.slice(0, 400)}" does not name ${defect.path} (${defect.defect})`);
        expect(error.message.length).toBeLessThan(4000);
      }),
      { numRuns: RUNS },
    );
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(RUNS);
    expect(Object.keys(seen).sort()).toEqual(['missing', 'not an object', 'refused value', 'semantic', 'unknown key']);
  });

  it('refuses what only YAML can say, or what is not a document, as ConfigError', () => {
    fc.assert(
      fc.property(textual, (text) => {
        const error = refusal(text);
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toMatch(/^clusters\.yml: (not valid YAML\/JSON: |invalid configuration:\n {2}(\(root\)|controlRegions?|clusters): )/);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a document nested 100,000 levels deep as ConfigError', () => {
    expect(refusal(`controlRegion: ${'['.repeat(100_000)}`)).toBeInstanceOf(ConfigError);
  });

  it('refuses cluster, node and subscriber names with quotes, spaces or SQL, which would need escaping', () => {
    for (const hostile of ["o'rders", 'or"ders', 'orders; DROP TABLE x', 'or ders', 'ordérs']) {
      for (const path of [c('name'), c('nodes', 1, 'name'), c('subscribers', 0, 'name')]) {
        expect(refusal(stringify(withValueAt(base(), path, hostile))).message).toContain(`${path.join('.').replace(/\.(\d+)/g, '[$1]')}: a name of letters`);
      }
    }
  });

  it('refuses a NUL byte in a login or database name, which would end it in the connection startup packet', () => {
    const injected = 'pgfo_monitor\u0000options\u0000-c default_transaction_read_only=off';
    expect(refusal(stringify(withValueAt(base(), c('credentials', 'monitor', 'user'), injected))).message).toContain('clusters[0].credentials.monitor.user: a name without NUL bytes');
    expect(refusal(stringify(withValueAt(base(), c('database'), 'orders\u0000x'))).message).toContain('clusters[0].database: a name without NUL bytes');
  });

  it('accepts the base document itself, in both formats', () => {
    for (const format of ['yaml', 'json'] as const) expect(parseConfigText(documentOf(base(), format), SOURCE).clusters[0]!.subscribers).toHaveLength(1);
  });
});
