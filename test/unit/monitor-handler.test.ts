import { readFileSync } from 'node:fs';
import { handler, monitorInput } from '../../functions/monitor/handler';
import { InvalidInputError } from '../../shared/errors';

const event = (name: string): unknown => JSON.parse(readFileSync(`events/${name}`, 'utf8'));
const invoke = (input: unknown) => (handler as unknown as (e: unknown, c: unknown) => Promise<unknown>)(input, {});

describe('monitor input', () => {
  it('accepts the schedule event and the sample request in events/', () => {
    expect(monitorInput.parse(event('monitor-schedule.json'))).toEqual({});
    expect(monitorInput.parse(event('monitor-quick.json'))).toEqual({ samples: 2, intervalMs: 1000 });
  });

  it('rejects a malformed request naming the field, before touching any configuration', async () => {
    const previous = process.env.PGFO_CONFIG_FILE;
    process.env.PGFO_CONFIG_FILE = '/nonexistent/never-read.yml';
    try {
      await expect(invoke({ samples: 0 })).rejects.toThrow(InvalidInputError);
      await expect(invoke({ samples: 'two' })).rejects.toThrow(/samples/);
      await expect(invoke({ sample: 2 })).rejects.toThrow(/unknown field\(s\) sample/);
    } finally {
      process.env.PGFO_CONFIG_FILE = previous;
    }
  });
});
