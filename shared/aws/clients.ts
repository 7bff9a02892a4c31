/**
 * One client per service and region, created on first use and reused across invocations.
 * Endpoints, credentials and retry counts come from the SDK's own environment variables
 * (AWS_ENDPOINT_URL*, AWS_MAX_ATTEMPTS, ...): there is no test-only branch here.
 * Every client has explicit connect and request timeouts: a region that does not answer must
 * fail a call in seconds, not hang a failover. `throwOnRequestTimeout` makes the request timeout
 * an error (the SDK's HTTP handler otherwise only logs a warning when it passes and keeps waiting).
 * Each service's factory lives in its own module (clients/*.ts) so a function bundles only the
 * clients it uses. Each factory's `perRegion(...)` call carries esbuild's `@__PURE__` annotation:
 * without it, importing any export of a module that defines a factory keeps that client in the bundle.
 */
const cache = new Map<string, unknown>();

export const clientTimeouts = { requestHandler: { connectionTimeout: 3000, requestTimeout: 10000, throwOnRequestTimeout: true } };

export const perRegion =
  <T>(service: string, create: (region: string) => T) =>
  (region: string): T => {
    const key = `${service}:${region}`;
    let client = cache.get(key) as T | undefined;
    if (!client) {
      client = create(region);
      cache.set(key, client);
    }
    return client;
  };

/** Drops cached clients (after the environment's endpoints change, e.g. between local stacks). */
export const resetClients = (): void => cache.clear();

/**
 * Ends every cached client's connections and drops it: a process that is done (the CLI) exits
 * without waiting for keep-alive sockets. A client taken before this must not be used after it.
 */
export const destroyClients = (): void => {
  for (const client of cache.values()) (client as { destroy?: () => void }).destroy?.();
  cache.clear();
};
