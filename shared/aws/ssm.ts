import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { registerSecret } from '../log';
import { classifyAwsError } from './errors';

const TTL_MS = 5 * 60 * 1000;
const cache = new Map<string, { value: string; expires: number }>();

/**
 * Reads a SecureString (decrypted), cached for five minutes per region and name.
 * The value is registered as a secret so it can never reach a log line.
 */
export const readSecureString = async (client: SSMClient, region: string, name: string): Promise<string> => {
  const key = `${region}\u0000${name}`;
  const hit = cache.get(key);
  if (hit && hit.expires > Date.now()) return hit.value;
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new Error(`parameter ${name} has no value`);
    registerSecret(value);
    cache.set(key, { value, expires: Date.now() + TTL_MS });
    return value;
  } catch (error) {
    throw classifyAwsError(error, `ssm:GetParameter ${name} in ${region}`);
  }
};

/** Forgets cached secrets (after a password rotation). */
export const clearSecretCache = (): void => cache.clear();

/** Reads a SecureString without caching (DATABASE_URL must be read fresh before a rewrite). */
export const readParameterFresh = async (client: SSMClient, region: string, name: string): Promise<string> => {
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new Error(`parameter ${name} has no value`);
    registerSecret(value);
    return value;
  } catch (error) {
    throw classifyAwsError(error, `ssm:GetParameter ${name} in ${region}`);
  }
};

/**
 * Overwrites a SecureString. The value is registered as a secret first. `keyId` names the parameter's
 * customer-managed key: without it an overwrite would re-encrypt the value under aws/ssm.
 */
export const writeSecureString = async (client: SSMClient, region: string, name: string, value: string, keyId?: string): Promise<void> => {
  registerSecret(value);
  try {
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true, ...(keyId ? { KeyId: keyId } : {}) }));
  } catch (error) {
    throw classifyAwsError(error, `ssm:PutParameter ${name} in ${region}`);
  }
};
