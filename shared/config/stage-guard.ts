import { isIPv4, isIPv6 } from 'node:net';
import type { FailoverConfig } from './schema';

/**
 * The stage of the local stack (the drill, the tests) and of packaging checks: the only stage whose
 * configuration may name this machine or placeholder ids. Any other stage is a real account.
 */
export const LOCAL_STAGE = 'local';

/**
 * One spelling per address, as a resolver reads it: the URL parser lower-cases, reads IPv4 short
 * forms (`127.1`, `0x7f.1`) and writes every IPv6 spelling the same way (`::ffff:127.0.0.1` too).
 */
const canonicalHost = (host: string): string => {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  try {
    return isIPv6(bare) ? new URL(`http://[${bare}]`).hostname.slice(1, -1) : new URL(`http://${bare}`).hostname;
  } catch {
    return bare;
  }
};

/**
 * Why `host` means "this machine" wherever it is resolved (a Lambda, the operator's laptop), or null:
 * the loopback range 127.0.0.0/8 (also IPv4-mapped), ::1, localhost and its subdomains (RFC 6761),
 * and the unspecified addresses 0.0.0.0 and ::, which connect to the local host.
 */
export const loopbackReason = (host: string): string | null => {
  const canonical = canonicalHost(host);
  if (isIPv4(canonical)) {
    if (canonical.startsWith('127.')) return `loopback address ${host}`;
    return canonical === '0.0.0.0' ? `unspecified address ${host} (this machine)` : null;
  }
  if (isIPv6(canonical)) {
    if (canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:/.test(canonical)) return `loopback address ${host}`;
    return canonical === '::' ? `unspecified address ${host} (this machine)` : null;
  }
  return canonical === 'localhost' || canonical.endsWith('.localhost') ? `loopback name ${host}` : null;
};

/** Words that mark a made-up id; an id of random characters does not spell them. */
const PLACEHOLDER_WORDS = ['PLACEHOLDER', 'EXAMPLE', 'LOCAL', 'DUMMY'];
/** Sequences that documentation ids count through (`i-1234567890abcdef0`, `i-0a1b2c3d4e5f60701`). */
const COUNTING = ['0123456789abcdefghijklmnopqrstuvwxyz', '0a1b2c3d4e5f6g7h8i9j'];
/** A run this long of one character, or of a counting sequence, is a placeholder: random ids have one about once in 10^7. */
const RUN = 8;

const countingRun = (id: string): string | undefined => {
  for (const sequence of COUNTING) {
    for (let start = 0; start + RUN <= sequence.length; start += 1) {
      const window = sequence.slice(start, start + RUN);
      if (id.includes(window)) return window;
    }
  }
  return undefined;
};

/**
 * Why an EC2 instance id or a Route 53 zone id is a placeholder, or null: it spells a word such as
 * PLACEHOLDER or EXAMPLE, repeats one character RUN times (`i-0000000000000001a`), or counts
 * through RUN characters (`Z0123456789ABCDEFGHIJ`). Real ids are random.
 */
export const placeholderReason = (id: string): string | null => {
  const word = PLACEHOLDER_WORDS.find((w) => id.toUpperCase().includes(w));
  if (word) return `placeholder id ${id} (it spells ${word})`;
  const repeated = new RegExp(`(.)\\1{${RUN - 1},}`).exec(id);
  if (repeated) return `placeholder id ${id} (${repeated[0].length} × "${repeated[1]}")`;
  const counting = countingRun(id.toLowerCase());
  return counting ? `placeholder id ${id} (it counts ${counting})` : null;
};

interface Field {
  path: string;
  value: string;
}

const hostFields = (config: FailoverConfig): Field[] =>
  config.clusters.flatMap((cluster, c) => [
    ...cluster.nodes.flatMap((node, n) => [
      { path: `clusters[${c}].nodes[${n}].host`, value: node.host },
      ...(node.clientHost === undefined ? [] : [{ path: `clusters[${c}].nodes[${n}].clientHost`, value: node.clientHost }]),
      ...node.replicationEndpoints.map((e, r) => ({ path: `clusters[${c}].nodes[${n}].replicationEndpoints[${r}].host`, value: e.host })),
    ]),
    ...cluster.subscribers.map((sub, s) => ({ path: `clusters[${c}].subscribers[${s}].host`, value: sub.host })),
  ]);

const idFields = (config: FailoverConfig): Field[] =>
  config.clusters.flatMap((cluster, c) => [
    ...cluster.nodes.map((node, n) => ({ path: `clusters[${c}].nodes[${n}].instanceId`, value: node.instanceId })),
    { path: `clusters[${c}].route53.hostedZoneId`, value: cluster.route53.hostedZoneId },
  ]);

/**
 * What a configuration for `stage` must not hold: hosts that are this machine and placeholder ids,
 * each named by its path (`clusters[0].nodes[1].host: loopback address 127.0.0.1 is refused for
 * stage prod`). None for LOCAL_STAGE.
 */
export const stageProblems = (config: FailoverConfig, stage: string): string[] => {
  if (stage === LOCAL_STAGE) return [];
  const found = [
    ...hostFields(config).map((f) => ({ ...f, reason: loopbackReason(f.value) })),
    ...idFields(config).map((f) => ({ ...f, reason: placeholderReason(f.value) })),
  ];
  return found.flatMap((f) => (f.reason ? [`${f.path}: ${f.reason} is refused for stage ${stage}`] : []));
};
