import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { classifyAwsError } from './errors';

/** PutMetricData accepts at most 1,000 metrics per call (and 1 MB, far above 1,000 of ours). */
export const MAX_DATUMS_PER_CALL = 1000;

/**
 * Collects metric data from concurrent samplers and sends it in as few PutMetricData calls as the
 * API allows: data added within `coalesceMs` of each other goes out together, 1,000 per call.
 */
export class MetricPublisher {
  private pending: MetricDatum[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private failures: Error[] = [];
  /** PutMetricData calls made and data points sent so far. */
  readonly stats = { calls: 0, datums: 0 };

  constructor(
    private readonly client: CloudWatchClient,
    private readonly namespace: string,
    private readonly coalesceMs = 250,
  ) {}

  add(datums: MetricDatum[]): void {
    this.pending.push(...datums);
    if (this.pending.length >= MAX_DATUMS_PER_CALL) this.flushSoon(0);
    else if (!this.timer) this.flushSoon(this.coalesceMs);
  }

  private flushSoon(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.inFlight.then(() => this.sendPending());
    }, delayMs);
  }

  private async sendPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_DATUMS_PER_CALL);
      try {
        this.stats.calls += 1;
        await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: batch }));
        this.stats.datums += batch.length;
      } catch (error) {
        this.failures.push(classifyAwsError(error, `cloudwatch:PutMetricData (${batch.length} data points)`));
      }
    }
  }

  /** Sends everything still pending; returns the errors met while publishing (empty when all went out). */
  async close(): Promise<Error[]> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.inFlight = this.inFlight.then(() => this.sendPending());
    await this.inFlight;
    return this.failures.splice(0);
  }
}
