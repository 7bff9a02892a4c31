import { readFileSync } from 'node:fs';
import { formatStatus, statusReport } from '../../cli/format';
import { PGFO_VERSION } from '../../shared/version';

const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('the release each end runs', () => {
  it("is package.json's version", () => {
    expect(PGFO_VERSION).toBe(packageVersion);
    expect(PGFO_VERSION).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it("is shown by pgfo status on its first line, and says when the deployment's differs", () => {
    expect(formatStatus({ version: PGFO_VERSION, clusters: [] })).toBe(`pgfo ${PGFO_VERSION} (this CLI); deployment ${PGFO_VERSION}`);
    expect(formatStatus({ version: '0.0.1', clusters: [] })).toBe(`pgfo ${PGFO_VERSION} (this CLI); deployment 0.0.1 (they differ: docs/upgrade.md)`);
  });

  it('is reported as unknown for a deployment whose status function sends none', () => {
    expect(formatStatus({ clusters: [] })).toContain('deployment: no version reported');
    expect(statusReport({ clusters: [] })).toEqual({ versions: { cli: PGFO_VERSION, deployment: null }, clusters: [] });
    expect(statusReport({ version: 7, clusters: [] }).versions.deployment).toBeNull();
  });

  it('has its section in CHANGELOG.md, under the unreleased changes', () => {
    const headings = [...readFileSync('CHANGELOG.md', 'utf8').matchAll(/^## \[([^\]]+)\]/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('Unreleased');
    expect(headings[1]).toBe(packageVersion);
  });
});
