/** What the rejoin decision needs to know of one node, as observed just now. */
export interface RejoinNodeView {
  node: string;
  reachable: boolean;
  /** null when the node did not answer. */
  inRecovery: boolean | null;
  readOnly: boolean | null;
}

export type RejoinVerdict =
  | { rejoin: true; node: string; writer: string; notes: string[] }
  | { rejoin: false; reason: string };

const isWriter = (v: RejoinNodeView) => v.reachable && v.inRecovery === false && v.readOnly === false;

/**
 * May `node` be rejoined as a standby, and of which writer? The writer to follow is the one node
 * other than `node` that takes writes (and, when the cluster record names a writer, that one). Refused:
 * the writer itself, no writer to follow, or writers that contradict each other or the record. A
 * returned old primary that is writable (a zombie) may be rejoined: that is what stops it writing. Pure.
 */
export const decideRejoin = (node: string, views: RejoinNodeView[], recordedWriter: string | null = null): RejoinVerdict => {
  const self = views.find((v) => v.node === node);
  const others = views.filter((v) => v.node !== node && isWriter(v)).map((v) => v.node);
  if (recordedWriter === node) return { rejoin: false, reason: `${node} is the cluster's writer: rejoin is for a fenced or diverged node` };
  if (others.length === 0) {
    return self && isWriter(self)
      ? { rejoin: false, reason: `${node} is the only node that takes writes: it is the writer, not a node to rejoin` }
      : { rejoin: false, reason: `no other node takes writes: there is no writer for ${node} to follow` };
  }
  if (others.length > 1) return { rejoin: false, reason: `${others.join(' and ')} all take writes: resolve that first (pgfo status)` };
  const writer = others[0]!;
  if (recordedWriter !== null && recordedWriter !== writer) {
    return { rejoin: false, reason: `the cluster record names ${recordedWriter} as writer but ${writer} takes writes: resolve that first` };
  }
  const notes: string[] = [];
  if (self && isWriter(self)) notes.push(`${node} takes writes on its own (a returned old primary): the rejoin stops it and discards what only it wrote`);
  if (self && !self.reachable) notes.push(`${node} does not answer: the rejoin works from its data directory`);
  return { rejoin: true, node, writer, notes };
};
