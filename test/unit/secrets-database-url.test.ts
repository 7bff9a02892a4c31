import fc from 'fast-check';
import { parse } from 'pg-connection-string';
import { buildDatabaseUrl, databaseUrlTarget, repointDatabaseUrl } from '../../shared/database-url';
import { ConfigError } from '../../shared/errors';
import { hostileString } from '../fixtures/arbitraries';

/** User names and passwords with every character that means something in a URL, plus unicode. */
const credential = fc
  .tuple(hostileString(), fc.constantFrom('', '@', ':', '/', '?', '#', '%', '%41', '&', "'", '"', ' ', '+', '=', ';', '\\', '[]', 'é密🙂'))
  .map(([text, reserved]) => `${reserved}${text.slice(0, 200)}${reserved}`)
  .filter((s) => s.length > 0 && !s.includes('\u0000'));
const hosts = fc.constantFrom('127.0.0.1', '10.0.3.17', 'db.orders.internal', 'pg-primary.use1.orders.internal', 'fd00::5', '2001:db8::1', '::1');
const ports = fc.integer({ min: 1, max: 65535 });

describe('DATABASE_URL built and rewritten with a URL library', () => {
  it('keeps any user name and password intact through building, repointing and parsing (1,000 round trips)', () => {
    fc.assert(
      fc.property(credential, credential, hosts, ports, hosts, ports, (user, password, host, port, nextHost, nextPort) => {
        const url = buildDatabaseUrl({ user, password, host, port, database: 'orders', params: { sslmode: 'require' } });
        expect(parse(url)).toMatchObject({ user, password, host, port: String(port), database: 'orders', sslmode: 'require' });
        expect(databaseUrlTarget(url)).toEqual({ host, port, database: 'orders' });

        const repointed = repointDatabaseUrl(url, nextHost, nextPort);
        expect(parse(repointed)).toMatchObject({ user, password, host: nextHost, port: String(nextPort), database: 'orders', sslmode: 'require' });
        expect(databaseUrlTarget(repointed)).toEqual({ host: nextHost, port: nextPort, database: 'orders' });
        // Rewriting to where it already points changes nothing (the step runs twice).
        expect(repointDatabaseUrl(repointed, nextHost, nextPort)).toBe(repointed);
        // In the URL itself, user and password are percent-encoded (no reserved character left raw).
        expect(new URL(repointed).username).toBe(encodeURIComponent(user));
        expect(new URL(repointed).password).toBe(encodeURIComponent(password));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a host it cannot write instead of leaving the URL on the old host', () => {
    const url = buildDatabaseUrl({ user: 'app', password: 'p', host: '10.0.0.1', port: 5432, database: 'orders' });
    for (const host of ['bad host', 'a/b', 'a?b', 'a#b', 'x@y', '']) expect(() => repointDatabaseUrl(url, host, 5432)).toThrow(ConfigError);
  });
});
