import fc from 'fast-check';
import { log, registerSecret, setLogSink } from '../../shared/log';
import { hostileString } from '../fixtures/arbitraries';

/** Every form a secret can take in a serialised log line. */
const formsOf = (secret: string) => [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];

/** Realistic passwords: random characters with the ones that break quoting, escaping and URLs. */
const passwords = fc
  .tuple(fc.string({ minLength: 8, maxLength: 24, unit: 'binary' }), hostileString().filter((s) => s.length < 100), fc.constantFrom(`@:/?#%&'" `, '"', '\\', '\\"', '\n\t', 'é密'))
  .map(([random, hostile, reserved]) => `${random}${reserved}${hostile}${reserved}`);

describe('log redaction', () => {
  let lines: string[] = [];
  let previous: (line: string) => void;
  beforeAll(() => {
    previous = setLogSink((line) => lines.push(line));
  });
  afterAll(() => setLogSink(previous));
  beforeEach(() => {
    lines = [];
  });

  it('masks a registered secret in every field, message and error, raw, URL-encoded or JSON-escaped (1,000 passwords)', () => {
    fc.assert(
      fc.property(passwords, (secret) => {
        lines = [];
        registerSecret(secret);
        log.info(`connected with ${secret}`, { password: secret, nested: { url: `postgresql://app:${encodeURIComponent(secret)}@db:5432/x` } });
        log.error('invocation failed', { error: new Error(`authentication failed for "${secret}"`), detail: [secret] });
        for (const line of lines) {
          for (const form of formsOf(secret)) expect(line.includes(form)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('masks the user:password part of any URL in a line, registered or not', () => {
    log.warn('bad url', { value: 'postgresql://app:not-registered-9f2@db:5432/orders' });
    expect(lines[0]).toContain('postgresql://app:***@db:5432/orders');
    expect(lines[0]).not.toContain('not-registered-9f2');
  });
});
