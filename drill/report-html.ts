import { formatBytes } from '../shared/units';
import type { DrillReport, SeriesPoint, TimelineStep } from './drill-report';
import { bytesText, durationText as seconds, lossText } from './figures';

/**
 * Renders a drill report as one self-contained HTML page: inline SVG graphs (the failover alarm's
 * metric, replication lag against its thresholds, the timeline) and every number. No script, no
 * external asset. Pure.
 */

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Line colours. None is red: red is the threshold's colour. */
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#17becf'];
const W = 880;
const H = 220;
const PAD = { left: 64, right: 16, bottom: 30 };
const TITLE_Y = 16;
const ROW = 12;
/** Width of one character of the 11 px labels, rounded up: enough to keep a label inside the graph. */
const CHAR_W = 7;
const textWidth = (text: string) => text.length * CHAR_W;

interface Line {
  name: string;
  points: SeriesPoint[];
}
interface Marker {
  t: number;
  label: string;
}
interface ChartSpec {
  title: string;
  unit: string;
  lines: Line[];
  threshold?: { value: number; label: string };
  markers: Marker[];
  xMaxMs: number;
  /** Draw values as steps (counts/flags) instead of straight segments. */
  step?: boolean;
  /** Values (and the threshold) are multiplied by this before plotting, e.g. bytes → MB (1024², as shared/units.ts counts). */
  scale?: number;
}

const niceMax = (value: number): number => {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((f) => f * magnitude).find((m) => m >= value)!;
};

/** Milliseconds between x-axis ticks: 10 s, or coarser so that a long drill has at most about a dozen. */
const tickStepMs = (xMaxMs: number) => Math.max(10_000, niceMax(xMaxMs / 12 / 1000) * 1000);
const tickTimes = (xMaxMs: number) => {
  const step = tickStepMs(xMaxMs);
  return Array.from({ length: Math.floor(xMaxMs / step) + 1 }, (_, i) => i * step);
};

interface Placed {
  x: number;
  row: number;
}

/**
 * Places each label by its vertical line at `x`, overlapping no other label and ending before `right`:
 * it starts just right of its line, moved left only as far as the edge requires, on the first row
 * where it overlaps no label already placed.
 */
const placeLabels = (items: Array<{ x: number; text: string }>, right: number): Placed[] => {
  const rows: Array<Array<[number, number]>> = [];
  return items.map(({ x, text }) => {
    const width = textWidth(text);
    const start = Math.min(x + 3, right - width);
    const span: [number, number] = [start, start + width];
    let row = rows.findIndex((taken) => taken.every(([a, b]) => span[1] + 4 <= a || span[0] >= b + 4));
    if (row === -1) row = rows.push([]) - 1;
    rows[row]!.push(span);
    return { x: start, row };
  });
};

const chart = (input: ChartSpec): string => {
  const k = input.scale ?? 1;
  const spec: ChartSpec = {
    ...input,
    lines: input.lines.map((l) => ({ ...l, points: l.points.map((p) => ({ t: p.t, v: p.v * k })) })),
    ...(input.threshold ? { threshold: { ...input.threshold, value: input.threshold.value * k } } : {}),
  };
  const right = W - PAD.right;
  const values = spec.lines.flatMap((l) => l.points.map((p) => p.v));
  const yMax = niceMax(Math.max(...values, (spec.threshold?.value ?? 0) * 1.2, 0));
  const xMax = Math.max(spec.xMaxMs, 1);
  const x = (t: number) => PAD.left + (Math.min(Math.max(t, 0), xMax) / xMax) * (right - PAD.left);
  // The legend goes on the title's row when both fit, else on a row of its own.
  const titleText = `${spec.title} (${spec.unit}; x: seconds since start)`;
  const legendWidths = spec.lines.map((l) => 22 + textWidth(l.name) + 12);
  const legendWidth = legendWidths.reduce((a, b) => a + b, 0);
  const legendY = textWidth(titleText) + 24 + legendWidth <= right - PAD.left ? TITLE_Y : TITLE_Y + ROW + 2;
  // Marker labels sit in a band between the title and the plot, where no line or threshold label runs.
  const markers = [...spec.markers].sort((a, b) => a.t - b.t);
  const placed = placeLabels(markers.map((m) => ({ x: x(m.t), text: m.label })), right);
  const labelRows = Math.max(0, ...placed.map((p) => p.row + 1));
  const bandTop = legendY + 8;
  const top = bandTop + labelRows * ROW + 6;
  const y = (v: number) => H - PAD.bottom - (Math.min(v, yMax) / yMax) * (H - top - PAD.bottom);
  const format = (v: number) => String(Math.round(v * 100) / 100);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMax * f;
    return `<line x1="${PAD.left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${escape(format(v))}</text>`;
  });
  const ticks = tickTimes(xMax).map((t) => `<text x="${x(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${t / 1000}</text>`);
  // Lines that coincide (two standbys equally behind) stay visible: each later line is drawn thinner on top.
  const width = (i: number) => Math.max(1.5, 4.5 - i * 1.5);
  const paths = spec.lines.map((line, i) => {
    const points = line.points.filter((p) => p.t >= 0);
    if (points.length === 0) return '';
    const d = points
      .map((p, j) => {
        const previous = points[j - 1];
        const move = j === 0 ? 'M' : 'L';
        return spec.step && previous ? `L${x(p.t)},${y(previous.v)} L${x(p.t)},${y(p.v)}` : `${move}${x(p.t)},${y(p.v)}`;
      })
      .join(' ');
    return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="${width(i)}"><title>${escape(line.name)}</title></path>`;
  });
  const threshold = spec.threshold
    ? `<line x1="${PAD.left}" x2="${right}" y1="${y(spec.threshold.value)}" y2="${y(spec.threshold.value)}" class="threshold"/><text x="${right - 4}" y="${y(spec.threshold.value) - 4}" text-anchor="end" class="threshold-label">${escape(spec.threshold.label)}</text>`
    : '';
  // Lines first, then labels: a marker's line never runs through another marker's label.
  const labelY = (i: number) => bandTop + placed[i]!.row * ROW + 9;
  const markerLines = markers.map((m, i) => `<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${labelY(i) - 9}" y2="${H - PAD.bottom}" class="marker"/>`);
  const markerLabels = markers.map(
    (m, i) => `<text x="${placed[i]!.x}" y="${labelY(i)}" class="marker-label">${escape(m.label)}</text>`,
  );
  // Each legend entry is a short stroke drawn like its line, right-aligned at the graph's edge.
  let legendX = right - legendWidth + 12;
  const legend = spec.lines.map((line, i) => {
    const at = legendX;
    legendX += legendWidths[i]!;
    return `<line x1="${at}" x2="${at + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS[i % COLORS.length]}" stroke-width="${width(i)}"/><text x="${at + 22}" y="${legendY}" class="legend">${escape(line.name)}</text>`;
  });
  return `<figure><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escape(spec.title)}" xmlns="http://www.w3.org/2000/svg">
<text x="${PAD.left}" y="${TITLE_Y}" class="title">${escape(spec.title)} <tspan class="unit">(${escape(spec.unit)}; x: seconds since start)</tspan></text>
${legend.join('')}
${grid.join('\n')}
${ticks.join('')}
<line x1="${PAD.left}" x2="${PAD.left}" y1="${top}" y2="${H - PAD.bottom}" class="axis"/>
<line x1="${PAD.left}" x2="${right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" class="axis"/>
${threshold}
${paths.join('\n')}
${markerLines.join('\n')}
${markerLabels.join('\n')}
</svg></figure>`;
};

/** Bars of `steps` over [fromMs, toMs] (ms since the drill started), one row each. */
const timelineChart = (steps: TimelineStep[], fromMs: number, toMs: number, title: string): string => {
  const rowH = 18;
  const top = 28;
  const height = top + steps.length * rowH + PAD.bottom;
  const right = W - PAD.right;
  const spanMs = Math.max(toMs - fromMs, 1);
  // Step names are right-aligned before the bars: as wide as the longest, within reason.
  const left = Math.min(300, Math.max(PAD.left, ...steps.map((s) => textWidth(s.step) + 12)));
  const x = (t: number) => left + (Math.min(Math.max(t - fromMs, 0), spanMs) / spanMs) * (right - left);
  const rows = steps.map((s, i) => {
    const rowTop = top + i * rowH;
    const width = Math.max(2, x(s.endMs) - x(s.startMs));
    const duration = seconds(s.endMs - s.startMs);
    // The duration goes after the bar, or before it when it would run past the edge.
    const after = x(s.startMs) + width + 4 + textWidth(duration) <= right;
    const durationX = after ? x(s.startMs) + width + 4 : x(s.startMs) - 4;
    return `<text x="${left - 6}" y="${rowTop + 13}" text-anchor="end">${escape(s.step)}</text><rect x="${x(s.startMs)}" y="${rowTop + 3}" width="${width}" height="${rowH - 6}" fill="${COLORS[i % COLORS.length]}"><title>${escape(`${s.step}: ${seconds(s.startMs)} → ${seconds(s.endMs)}`)}</title></rect><text x="${durationX}" y="${rowTop + 13}" text-anchor="${after ? 'start' : 'end'}" class="unit">${escape(duration)}</text>`;
  });
  const ticks = tickTimes(spanMs).map(
    (t) => `<line x1="${x(fromMs + t)}" x2="${x(fromMs + t)}" y1="${top}" y2="${height - PAD.bottom}" class="grid"/><text x="${x(fromMs + t)}" y="${height - PAD.bottom + 16}" text-anchor="middle">${Math.round(fromMs / 1000 + t / 1000)}</text>`,
  );
  return `<figure><svg viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${escape(title)}" xmlns="http://www.w3.org/2000/svg">
<text x="${PAD.left}" y="${TITLE_Y}" class="title">${escape(title)} <tspan class="unit">(seconds since start)</tspan></text>
${ticks.join('')}
${rows.join('\n')}
</svg></figure>`;
};

/** A sequence's legs: each with its own figures and its own timeline bars. */
const legSections = (report: DrillReport): string =>
  report.legs
    .map((leg, i) => {
      const rows: Array<[string, string]> = [
        ['action', leg.action],
        ['expected', leg.expected.description],
        ['result', leg.problems.length === 0 ? 'held' : `FAILED: ${leg.problems.join('; ')}`],
        ['writer', `${leg.writerBefore} → ${leg.writerAfter ?? 'no single writer'} (timeline ${leg.writerTimeline ?? '?'})`],
        ['detection (fault → alarm)', seconds(leg.detectionMs)],
        ['RTO (fault → first application write through DATABASE_URL)', `${seconds(leg.rtoMs)}${leg.rtoGoalMs !== undefined ? ` (goal ${seconds(leg.rtoGoalMs)}: ${leg.withinRtoGoal ? 'met' : 'missed'})` : ''}`],
        ['RTO via DNS (record INSYNC + TTL)', seconds(leg.dnsRtoMs)],
        ['application downtime', seconds(leg.appDowntimeMs)],
        ['acknowledged rows lost', `${leg.rpo.ackedRowsLost ?? 'n/a'} of ${leg.rpo.ackedRows}; receipt ${bytesText(leg.rpo.receiptBytes)} (upper bound ${bytesText(leg.rpo.receiptUpperBoundBytes)})`],
        ['fenced', leg.fenced ?? 'nothing'],
        ...(leg.actedBy !== undefined ? [['acted: the stack in', leg.actedBy ?? 'none'] as [string, string]] : []),
        ...(leg.stacks ? [['executions per stack', leg.stacks.map((t) => `${t.region}: ${t.execution} ${t.outcome}`).join('; ') || 'none'] as [string, string]] : []),
        ['nodes after', leg.nodes.map((n) => `${n.name}: ${n.observed}, timeline ${n.timeline ?? '?'}${n.upstream ? `, streams from ${n.upstream}` : ''}`).join('; ')],
      ];
      return `<h2>Leg ${i + 1}: ${escape(leg.name)}</h2>
${table(rows)}
${timelineChart(leg.timeline, leg.startMs, Math.max(leg.endMs, ...leg.timeline.map((s) => s.endMs)), `Leg ${i + 1} timeline: ${leg.name}`)}`;
    })
    .join('\n');

const table = (rows: Array<[string, string]>): string =>
  `<table>${rows.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')}</table>`;

const list = (items: string[], empty: string) => (items.length === 0 ? `<p>${escape(empty)}</p>` : `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>`);

const markersOf = (report: DrillReport): Marker[] => {
  const fault = report.faultAtMs;
  const out: Marker[] = [];
  if (fault !== null) out.push({ t: fault, label: 'fault' });
  const alarm = report.alarm.transitions.find((t) => t.to === 'ALARM' && (fault === null || t.atMs >= fault));
  if (alarm) out.push({ t: alarm.atMs, label: 'alarm' });
  const promote = report.timeline.find((s) => s.step === 'PromoteCandidate');
  if (promote) out.push({ t: promote.endMs, label: 'promoted' });
  if (fault !== null && report.rtoMs !== null) out.push({ t: fault + report.rtoMs, label: 'app writes' });
  if (fault !== null && report.dnsRtoMs !== null) out.push({ t: fault + report.dnsRtoMs, label: 'DNS + TTL' });
  return out;
};

const numbers = (report: DrillReport): Array<[string, string]> => [
  ['scenario', `${report.scenario} (cluster ${report.cluster}, ${report.config})`],
  ['result', `${report.passed ? 'PASSED' : 'FAILED'}: expected ${report.expected.description}`],
  ['outcome', `${report.outcome}${report.promoted ? ` (${report.promoted})` : ''}`],
  ['detection (fault → alarm)', seconds(report.detectionMs)],
  ['RTO (fault → first application write through DATABASE_URL from SSM)', seconds(report.rtoMs)],
  [
    'RTO via DNS (fault → record INSYNC on Route 53 + TTL)',
    `${seconds(report.dnsRtoMs)} (Route 53 PENDING modelled for ${seconds(report.dnsModel.pendingMs)}, TTL ${report.dnsModel.ttlSeconds} s)${report.dnsModel.pending ? `; ${report.dnsModel.pending}` : ''}`,
  ],
  ['application downtime', `${seconds(report.appDowntimeMs)} (${report.app.writes} writes, ${report.app.failures} failed, DATABASE_URL read ${report.app.urlReads}×)`],
  ['acknowledged rows lost', `${report.rpo.ackedRowsLost ?? 'n/a'} of ${report.rpo.ackedRows}`],
  ['receipt data-loss estimate (size / age of the writes lost)', lossText(report.rpo.receiptBytes, report.rpo.receiptSeconds)],
  ['receipt upper bound (unobserved writes included)', bytesText(report.rpo.receiptUpperBoundBytes)],
  ['DNS', `${report.dns.record} → ${report.dns.target ?? 'none'}`],
  ...report.ssm.map((p): [string, string] => [`DATABASE_URL ${p.name} (${p.region})`, `${p.host}:${p.port}`]),
  ['old primary fenced', report.oldPrimaryFenced ? 'yes (instance stopped, PostgreSQL down)' : 'no'],
  ['nodes at the end', report.nodes.map((n) => `${n.name}: ${n.observed}, instance ${n.instanceState ?? 'unknown'}, timeline ${n.timeline ?? '?'}${n.upstream ? `, streams from ${n.upstream}` : ''}`).join('; ')],
  [
    'failover alarm',
    `${report.alarm.name}: ${report.alarm.statistic} ${report.alarm.metric} ${report.alarm.comparison} ${report.alarm.threshold}, ${report.alarm.datapointsToAlarm} of ${report.alarm.evaluationPeriods} × ${report.alarm.periodSeconds} s, missing data ${report.alarm.treatMissingData}`,
  ],
  ['duration', seconds(report.durationMs)],
];

export const renderReportHtml = (report: DrillReport): string => {
  const xMaxMs = Math.max(report.durationMs, ...report.timeline.map((s) => s.endMs));
  const markers = markersOf(report);
  const lagLines = (key: 'seconds' | 'bytes') => report.series.lag.map((l) => ({ name: l.node, points: l[key] }));
  const charts = [
    chart({
      title: `Failover alarm metric: ${report.alarm.metric || 'PrimaryReachable'}`,
      unit: 'count',
      lines: [{ name: report.alarm.metric || 'PrimaryReachable', points: report.series.primaryReachable }],
      threshold: { value: report.alarm.threshold, label: `alarm: ${report.alarm.comparison} ${report.alarm.threshold}` },
      markers,
      xMaxMs,
      step: true,
    }),
    chart({
      title: 'Replication lag (FlushLagSeconds)',
      unit: 'seconds',
      lines: lagLines('seconds'),
      threshold: { value: report.series.rpoSeconds, label: `replication-lag alarm: > ${report.series.rpoSeconds} s (RPO)` },
      markers,
      xMaxMs,
    }),
    chart({
      title: 'Replication lag (FlushLagBytes)',
      unit: 'MB',
      lines: lagLines('bytes'),
      threshold: { value: report.series.maxLagBytes, label: `lag guard: ${formatBytes(report.series.maxLagBytes)}` },
      markers,
      xMaxMs,
      scale: 1 / 1048576,
    }),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pgfo drill: ${escape(report.scenario)} ${report.passed ? 'passed' : 'failed'}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:940px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.passed{color:#1a7f37}.failed{color:#cf222e}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{width:38%;font-weight:600}
figure{margin:12px 0}svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}svg .unit{fill:#777;font-weight:400}
.grid{stroke:#eee}.axis{stroke:#999}.threshold{stroke:#cf222e;stroke-dasharray:6 4}.threshold-label{fill:#cf222e}
.marker{stroke:#555;stroke-dasharray:2 3}.marker-label{fill:#555}
.threshold-label,.marker-label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
</style></head><body>
<h1>pgfo drill: ${escape(report.scenario)} — <span class="${report.passed ? 'passed' : 'failed'}">${report.passed ? 'PASSED' : 'FAILED'}</span></h1>
<p>Started ${escape(report.startedAt)}. ${escape(report.expected.description)}.</p>
${report.problems.length ? `<h2>Problems</h2>${list(report.problems, '')}` : ''}
<h2>Numbers</h2>
${table(numbers(report))}
<h2>Graphs</h2>
${charts.join('\n')}
${timelineChart(report.timeline, 0, xMaxMs, 'Timeline')}
${report.legs.length > 1 ? legSections(report) : ''}
<h2>Why (the workflow's reasons)</h2>
${list(report.reasons, 'no reasons recorded')}
<h2>Alarm state changes</h2>
${list(report.alarm.transitions.map((t) => `${seconds(t.atMs)}: ${t.from} → ${t.to} (${t.reason})`), 'none')}
<h2>Shortened for the drill</h2>
${list(report.shortened, 'nothing')}
${report.kept ? `<h2>Kept stack</h2>${list([`emulator ${report.kept.emulatorEndpoint}`, `PGFO_CONFIG_FILE=${report.kept.configFile}`, ...report.kept.nodes.map((n) => `${n.cluster}/${n.node} ${n.host}:${n.port}, user ${n.user}, password: ${n.passwordSource}`), ...report.kept.superuser, 'npm run drill -- --down tears it down'], '')}` : ''}
</body></html>
`;
};
