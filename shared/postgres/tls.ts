import { readFile } from 'node:fs/promises';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors';
import type { TlsConfig } from '../config/schema';

/** What node-postgres takes as `ssl`: false for plain text, else options for tls.connect. */
export type SslOptions = false | ConnectionOptions;

/** Reads a parameter's value (SSM in production): where a caParameter's PEM comes from. */
export type ParameterReader = (name: string) => Promise<string>;

const caBundle = async (tls: TlsConfig, readParameter: ParameterReader | undefined): Promise<string | undefined> => {
  if (tls.caFile !== undefined) {
    try {
      return await readFile(tls.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`tls.caFile ${tls.caFile}: cannot read the CA bundle: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
  if (tls.caParameter !== undefined) {
    if (!readParameter) throw new ConfigError(`tls.caParameter ${tls.caParameter}: no parameter reader was given to this connection`);
    return readParameter(tls.caParameter);
  }
  return undefined;
};

/**
 * The `ssl` option of one connection, with libpq's sslmode meaning: `require` encrypts and trusts any
 * certificate, `verify-ca` checks the chain only, `verify-full` checks the chain and the name
 * (serverName, else the host connected to). A CA that cannot be read fails the connection: a
 * session that cannot be verified as configured is never opened unverified.
 */
export const sslOptions = async (tls: TlsConfig | undefined, readParameter?: ParameterReader): Promise<SslOptions> => {
  if (!tls || tls.sslmode === 'disable') return false;
  if (tls.sslmode === 'require') return { rejectUnauthorized: false };
  const ca = await caBundle(tls, readParameter);
  const verifyName =
    tls.sslmode === 'verify-full'
      ? (host: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(tls.serverName ?? host, cert)
      : () => undefined;
  return { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}), checkServerIdentity: verifyName };
};
