import { decideSynchronous, parseSynchronousNames, synchronousNames, type SyncFacts, type SyncStandbyView } from '../../shared/decisions/sync-replication';

const aSyncStandby = (node: string, overrides: Partial<SyncStandbyView> = {}): SyncStandbyView => ({
  node,
  region: 'us-east-1',
  configuredRole: 'async-standby',
  streaming: true,
  replyAgeSeconds: 0.5,
  notStreamingSeconds: null,
  fenced: false,
  ...overrides,
});

/** The example topology seen from its primary: standby_az2 named synchronous, streaming; the DR across regions. */
const facts = (overrides: Partial<SyncFacts> = {}, standbys: Partial<Record<string, Partial<SyncStandbyView>>> = {}): SyncFacts => ({
  mode: 'on',
  lossSeconds: 10,
  writer: { node: 'primary', region: 'us-east-1' },
  current: 'FIRST 1 ("standby_az2")',
  oldestWaitSeconds: 0,
  standbys: [
    aSyncStandby('standby_az2', { configuredRole: 'sync-standby', ...standbys.standby_az2 }),
    aSyncStandby('standby_dr', { region: 'us-west-2', ...standbys.standby_dr }),
    ...(standbys.az3 ? [aSyncStandby('az3', standbys.az3)] : []),
  ],
  ...overrides,
});

/** standby_az2 powered off 12 s ago: its row still says streaming, its last reply is 12 s old. */
const poweredOff = { replyAgeSeconds: 12 };

describe('managing the synchronous standby', () => {
  it('keeps a streaming synchronous standby', () => {
    expect(decideSynchronous(facts())).toMatchObject({ change: false, node: 'standby_az2', page: null });
  });

  it('drops a synchronous standby whose commits have waited syncLossSeconds for none when no other in-region standby streams', () => {
    const verdict = decideSynchronous(facts({ oldestWaitSeconds: 11 }, { standby_az2: poweredOff }));
    expect(verdict).toMatchObject({ change: true, names: '', node: null, previous: 'standby_az2', degraded: true });
    expect(verdict.reason).toMatch(/commits have waited 11\.0 s on standby_az2 .*its last reply was 12\.0 s ago/);
  });

  it('does not judge by the row alone: a standby whose row is present but silent is lost once commits waited', () => {
    expect(decideSynchronous(facts({ oldestWaitSeconds: 10 }, { standby_az2: { replyAgeSeconds: 30, streaming: true } }))).toMatchObject({ change: true, node: null });
  });

  it('waits the whole window: commits waiting less than syncLossSeconds keep it', () => {
    expect(decideSynchronous(facts({ oldestWaitSeconds: 9.9 }, { standby_az2: poweredOff }))).toMatchObject({ change: false, node: 'standby_az2' });
  });

  it('with no commit waiting, drops it only when silent for twice the window (an idle healthy standby replies every 10 s by default)', () => {
    expect(decideSynchronous(facts({}, { standby_az2: { replyAgeSeconds: 15 } }))).toMatchObject({ change: false });
    expect(decideSynchronous(facts({}, { standby_az2: { replyAgeSeconds: 20 } }))).toMatchObject({ change: true, node: null });
    expect(decideSynchronous(facts({}, { standby_az2: { streaming: false, replyAgeSeconds: null, notStreamingSeconds: 21 } }))).toMatchObject({ change: true, node: null });
  });

  it('names the next in-region streaming standby instead of none, never one across regions', () => {
    const verdict = decideSynchronous(facts({ oldestWaitSeconds: 11 }, { standby_az2: poweredOff, az3: {} }));
    expect(verdict).toMatchObject({ change: true, names: 'FIRST 1 ("az3")', node: 'az3', degraded: false });
    expect(decideSynchronous(facts({ oldestWaitSeconds: 11 }, { standby_az2: poweredOff, az3: { replyAgeSeconds: 11 } }))).toMatchObject({ node: null });
  });

  it('makes the configured synchronous standby synchronous again once it streams with fresh replies', () => {
    expect(decideSynchronous(facts({ current: '' }, { standby_az2: { streaming: true, replyAgeSeconds: 0.3 } }))).toMatchObject({
      change: true,
      names: 'FIRST 1 ("standby_az2")',
      node: 'standby_az2',
      previous: null,
      degraded: false,
    });
    expect(decideSynchronous(facts({ current: '' }, { standby_az2: { streaming: false, replyAgeSeconds: null } }))).toMatchObject({ change: false, node: null });
    // Still catching up (state catchup), or its replies stale: not yet.
    expect(decideSynchronous(facts({ current: '' }, { standby_az2: { streaming: true, replyAgeSeconds: 10 } }))).toMatchObject({ change: false });
  });

  it('replaces a value naming a node that is not its standby (fenced, the writer itself, another region, several)', () => {
    expect(decideSynchronous(facts({ current: 'FIRST 1 ("primary")' }))).toMatchObject({ change: true, node: 'standby_az2' });
    expect(decideSynchronous(facts({ current: 'FIRST 1 ("standby_dr")' }))).toMatchObject({ change: true, node: 'standby_az2', previous: 'standby_dr' });
    expect(decideSynchronous(facts({}, { standby_az2: { fenced: true } }))).toMatchObject({ change: true, node: null, degraded: true });
    expect(decideSynchronous(facts({ current: 'ANY 2 (standby_az2, az3)' }, { az3: {} }))).toMatchObject({ change: true, node: 'standby_az2' });
  });

  it('off: never touches the setting, whatever it names', () => {
    expect(decideSynchronous(facts({ mode: 'off', oldestWaitSeconds: 60 }, { standby_az2: poweredOff }))).toMatchObject({ change: false, node: null });
    expect(decideSynchronous(facts({ mode: 'off', current: '' }))).toMatchObject({ change: false });
  });

  describe('strict', () => {
    it('never drops a lost synchronous standby for none, and pages', () => {
      const verdict = decideSynchronous(facts({ mode: 'strict', oldestWaitSeconds: 30 }, { standby_az2: poweredOff }));
      expect(verdict).toMatchObject({ change: false, node: 'standby_az2' });
      expect(verdict.change === false && verdict.page).toMatch(/standby_az2 is lost .*strict mode keeps it: commits wait/);
    });

    it('moves to another in-region standby that streams (still one synchronous)', () => {
      expect(decideSynchronous(facts({ mode: 'strict', oldestWaitSeconds: 30 }, { standby_az2: poweredOff, az3: {} }))).toMatchObject({ change: true, node: 'az3', degraded: false });
    });

    it('names an in-region standby even before it streams rather than let the writer acknowledge alone', () => {
      expect(decideSynchronous(facts({ mode: 'strict', current: '' }, { standby_az2: { streaming: false, replyAgeSeconds: null } }))).toMatchObject({ change: true, node: 'standby_az2' });
      const alone = decideSynchronous({ ...facts({ mode: 'strict', current: '' }), writer: { node: 'standby_dr', region: 'us-west-2' }, standbys: [aSyncStandby('primary', { region: 'us-east-1' })] });
      expect(alone.change === false && alone.page).toMatch(/no standby in its region \(us-west-2\)/);
    });
  });
});

describe('synchronous_standby_names values', () => {
  it('names exactly one standby, quoted', () => {
    expect(synchronousNames('standby_az2')).toBe('FIRST 1 ("standby_az2")');
    expect(synchronousNames(null)).toBe('');
  });

  it('reads the forms PostgreSQL accepts', () => {
    expect(parseSynchronousNames('')).toEqual({ count: 0, nodes: [] });
    expect(parseSynchronousNames('FIRST 1 (standby_az2)')).toEqual({ count: 1, nodes: ['standby_az2'] });
    expect(parseSynchronousNames('ANY 2 ("a", b)')).toEqual({ count: 2, nodes: ['a', 'b'] });
    expect(parseSynchronousNames('a, b')).toEqual({ count: 1, nodes: ['a', 'b'] });
    expect(parseSynchronousNames('"we""ird"')).toEqual({ count: 1, nodes: ['we"ird'] });
  });
});
