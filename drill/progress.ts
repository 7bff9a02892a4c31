import { formatDuration } from '../shared/units';
import type { TimelineStep } from './drill-report';

/** Progress lines with the elapsed time, and the timeline of the report (ms since the drill started). */
export class Progress {
  readonly startedAt = Date.now();
  readonly timeline: TimelineStep[] = [];

  constructor(private readonly print: (line: string) => void) {}

  /** Milliseconds since the drill started. */
  sinceStart(at = Date.now()): number {
    return at - this.startedAt;
  }

  say(message: string): void {
    this.print(`[${formatDuration(this.sinceStart()).padStart(10)}] ${message}`);
  }

  /** Records a step that happened between two instants (epoch ms). */
  mark(step: string, startAt: number, endAt: number): void {
    this.timeline.push({ step, startMs: this.sinceStart(startAt), endMs: this.sinceStart(endAt) });
  }

  /** Runs one step, announcing it and recording it in the timeline (also when it fails). */
  async step<T>(step: string, work: () => Promise<T>, done?: (result: T) => string): Promise<T> {
    const started = Date.now();
    this.say(`${step} ...`);
    try {
      const result = await work();
      this.say(`${step}: ${done ? done(result) : 'done'} (${formatDuration(Date.now() - started)})`);
      return result;
    } finally {
      this.mark(step, started, Date.now());
    }
  }
}
