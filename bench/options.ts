import { parseCommandLine, UsageError } from '../shared/command-line';

export const SECTIONS = ['overhead', 'coldstart', 'scale', 'detection', 'drills'] as const;
export type Section = (typeof SECTIONS)[number];

export const ROW_SETS = ['issue21', 'issue22', 'issue22-writers', 'issue23'] as const;
export type RowSet = (typeof ROW_SETS)[number];

export interface BenchOptions {
  command: 'bench' | 'render' | 'convergence-rows' | 'rows' | 'help';
  /** Sections to run (all when empty: then the docs are rewritten). */
  only: Section[];
  runs: number;
  drillRuns: number;
  drillConcurrency: number;
  /** `--rows`: the issues whose rows to measure apart and merge (issue21, issue22, issue23). */
  rows: RowSet[];
  /** `--rows issue21`: runs of each partition drill (control-partition, region-isolated). */
  partitionRuns: number;
}

export const USAGE = `usage: npm run bench -- [--only SECTIONS] [--runs N] [--drill-runs N] [--drill-concurrency N]
       npm run bench -- --render
       npm run bench -- --convergence-rows [--drill-runs N] [--drill-concurrency N]
       npm run bench -- --rows issue21,issue22 [--partition-runs N] [--drill-runs N] [--drill-concurrency N]

  --only               comma-separated sections (${SECTIONS.join(', ')}); prints their JSON instead
                       of rewriting docs/benchmarks.json and docs/benchmarks.md
  --runs               failover-overhead runs (default 7)
  --drill-runs         drills per scenario (default 5)
  --drill-concurrency  drills at the same time (default 5)
  --render             rewrite docs/benchmarks.md from docs/benchmarks.json without measuring
  --convergence-rows   measure only the convergence's drill rows (ssm-region-down, dependency-blip),
                       replace them in docs/benchmarks.json and rewrite docs/benchmarks.md
  --rows               measure only the rows of these issues and merge them the same way: issue21
                       (control-partition, region-isolated: --partition-runs each, default 10;
                       region-outage: --drill-runs), issue22 (sync-standby-loss, primary-crash,
                       switchover: --drill-runs each), issue22-writers (switchover only: the
                       new writer with an in-region standby streaming), issue23 (double-region:
                       --drill-runs, a row for each of its two region losses)
  --help, -h           this text`;

const count = (name: string, value: string | boolean | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name}: a whole number of at least 1 (got ${String(value)})`);
  return Number(value);
};

/** Parses the bench's command line. Pure. @throws UsageError naming the flag at fault. */
export const parseBenchArgs = (argv: string[]): BenchOptions => {
  const { values } = parseCommandLine(argv, {
    only: { type: 'string' },
    runs: { type: 'string' },
    'drill-runs': { type: 'string' },
    'drill-concurrency': { type: 'string' },
    render: { type: 'boolean' },
    'convergence-rows': { type: 'boolean' },
    rows: { type: 'string' },
    'partition-runs': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const only = typeof values.only === 'string' ? values.only.split(',').filter(Boolean) : [];
  for (const name of only) if (!(SECTIONS as readonly string[]).includes(name)) throw new UsageError(`--only: unknown section ${name} (${SECTIONS.join(', ')})`);
  const rows = typeof values.rows === 'string' ? values.rows.split(',').filter(Boolean) : [];
  for (const name of rows) if (!(ROW_SETS as readonly string[]).includes(name)) throw new UsageError(`--rows: unknown row set ${name} (${ROW_SETS.join(', ')})`);
  if (values.rows !== undefined && rows.length === 0) throw new UsageError(`--rows: name at least one row set (${ROW_SETS.join(', ')})`);
  return {
    command:
      values.help === true ? 'help' : values.render === true ? 'render' : values['convergence-rows'] === true ? 'convergence-rows' : rows.length > 0 ? 'rows' : 'bench',
    only: only as Section[],
    runs: count('runs', values.runs, 7),
    drillRuns: count('drill-runs', values['drill-runs'], 5),
    drillConcurrency: count('drill-concurrency', values['drill-concurrency'], 5),
    rows: rows as RowSet[],
    partitionRuns: count('partition-runs', values['partition-runs'], 10),
  };
};
