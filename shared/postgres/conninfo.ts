/**
 * libpq keyword/value connection strings (`host='a' port=5432 …`), as `primary_conninfo` holds them.
 * Only the target changes when a standby is re-pointed: user, password, application_name and every
 * other keyword are kept. Values (the password among them) are never logged or put in errors.
 */

export type Conninfo = Array<[keyword: string, value: string]>;

/**
 * Parses a keyword/value string. URIs (postgresql://…) are refused: re-pointing rewrites only the
 * keyword form pg_basebackup -R and people write. @throws Error naming the position, not the value.
 */
export const parseConninfo = (text: string): Conninfo => {
  if (/^\s*postgres(ql)?:\/\//.test(text)) throw new Error('primary_conninfo is a URI: only the keyword=value form can be re-pointed');
  const pairs: Conninfo = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  while (true) {
    skipSpace();
    if (i >= text.length) return pairs;
    const keyStart = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i += 1;
    const keyword = text.slice(keyStart, i);
    skipSpace();
    if (!keyword || text[i] !== '=') throw new Error(`primary_conninfo: expected keyword=value at character ${keyStart + 1}`);
    i += 1;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i += 1;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      if (text[i] !== "'") throw new Error(`primary_conninfo: unterminated quoted value of ${keyword}`);
      i += 1;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
    }
    pairs.push([keyword, value]);
  }
};

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export const formatConninfo = (pairs: Conninfo): string => pairs.map(([k, v]) => `${k}=${quote(v)}`).join(' ');

export const conninfoValue = (pairs: Conninfo, keyword: string): string | null => pairs.find(([k]) => k === keyword)?.[1] ?? null;

/**
 * The same connection string aimed at host:port. `hostaddr` (which would override host) is dropped;
 * every other keyword keeps its place and value.
 */
export const retargetConninfo = (text: string, host: string, port: number): string => {
  const pairs = parseConninfo(text).filter(([k]) => k !== 'hostaddr');
  const set = (keyword: string, value: string) => {
    const at = pairs.findIndex(([k]) => k === keyword);
    if (at >= 0) pairs[at] = [keyword, value];
    else pairs.unshift([keyword, value]);
  };
  set('port', String(port));
  set('host', host);
  return formatConninfo(pairs);
};

/** Where a connection string leads (host and port only: never the rest). */
export const conninfoTarget = (text: string): { host: string | null; port: number | null } => {
  if (!text.trim()) return { host: null, port: null };
  try {
    const pairs = parseConninfo(text);
    const port = conninfoValue(pairs, 'port');
    return { host: conninfoValue(pairs, 'host') ?? conninfoValue(pairs, 'hostaddr'), port: port === null ? 5432 : Number(port) };
  } catch {
    return { host: null, port: null };
  }
};
