/**
 * How long Route 53 keeps a change PENDING before its name servers all answer with it (INSYNC), in
 * the local stack. The emulator reports every change INSYNC at once; AWS documents that Route 53
 * propagates record updates to its authoritative servers "within 60 seconds under normal
 * conditions" (Route 53 FAQ), so the local default is that bound. This is the one place the local
 * stack models it; the fault proxy applies it (`FaultProxy.route53Propagation`).
 */
export const ROUTE53_PROPAGATION_MS = 60_000;

/** Changes seen going through, and the status Route 53 would report for each at a given time. */
export class Route53Propagation {
  private readonly submitted = new Map<string, number>();

  constructor(public pendingMs: number) {}

  /** Notes a ChangeResourceRecordSets answer (its ChangeInfo Id, as returned in the XML). */
  noteChange(responseXml: string, at: number): void {
    const id = /<Id>([^<]+)<\/Id>/.exec(responseXml)?.[1];
    if (id) this.submitted.set(id.replace(/^\/change\//, ''), at);
  }

  /** The GetChange answer with the status Route 53 would give at `now`. */
  rewriteGetChange(responseXml: string, now: number): string {
    const id = /<Id>([^<]+)<\/Id>/.exec(responseXml)?.[1]?.replace(/^\/change\//, '');
    const at = id === undefined ? undefined : this.submitted.get(id);
    if (at === undefined || now - at >= this.pendingMs) return responseXml;
    return responseXml.replace(/<Status>INSYNC<\/Status>/, '<Status>PENDING</Status>');
  }

  /** Every change seen, oldest first: its id, when Route 53 accepted it and when it is INSYNC. */
  changes(): Array<{ id: string; acceptedAt: number; inSyncAt: number }> {
    return [...this.submitted].map(([id, at]) => ({ id, acceptedAt: at, inSyncAt: at + this.pendingMs }));
  }

  /** When the change `id` becomes INSYNC (null when it was not seen). */
  inSyncAt(id: string): number | null {
    const at = this.submitted.get(id.replace(/^\/change\//, ''));
    return at === undefined ? null : at + this.pendingMs;
  }
}
