import { parse as parseConnectionString } from 'pg-connection-string';
import { ConfigError } from './errors';

/**
 * DATABASE_URL values are built and rewritten with the WHATWG URL parser, never by pasting strings:
 * user names and passwords with reserved characters (@ : / # ? %) are encoded correctly.
 */
export interface DatabaseUrlParts {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
  /** Extra query parameters such as sslmode. */
  params?: Record<string, string>;
}

/**
 * The hostname setter silently ignores a host it cannot take (an IPv6 address without brackets, a
 * space) and cuts one at "/", "?" or "#", which would leave DATABASE_URL on the old host or on a
 * wrong one: bracket IPv6 literals, refuse the rest.
 */
const urlHost = (host: string): string => {
  const probe = new URL('postgresql://unset.invalid');
  if (!/[/?#]/.test(host)) probe.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (probe.hostname === 'unset.invalid' || probe.hostname === '') throw new ConfigError(`host "${host}" cannot be written in a DATABASE_URL`);
  return probe.hostname;
};

export const buildDatabaseUrl = (parts: DatabaseUrlParts): string => {
  const url = new URL('postgresql://placeholder');
  // The URL setters leave '%' as it is, so a password holding '%' would not survive decoding:
  // encode every reserved character first (the setters keep existing %XX escapes).
  url.username = encodeURIComponent(parts.user);
  url.password = encodeURIComponent(parts.password);
  url.hostname = urlHost(parts.host);
  url.port = String(parts.port);
  url.pathname = `/${encodeURIComponent(parts.database)}`;
  for (const [key, value] of Object.entries(parts.params ?? {})) url.searchParams.set(key, value);
  return url.toString();
};

/** Replaces host and port, keeping user, password, database and parameters exactly as they were. */
export const repointDatabaseUrl = (current: string, host: string, port: number): string => {
  const url = new URL(current);
  url.hostname = urlHost(host);
  url.port = String(port);
  return url.toString();
};

/** Host and port of a DATABASE_URL (for status and reports: never return or log the URL itself). */
export const databaseUrlTarget = (value: string): { host: string; port: number; database: string } => {
  const parsed = parseConnectionString(value);
  return { host: parsed.host ?? '', port: Number(parsed.port ?? 5432), database: parsed.database ?? '' };
};
