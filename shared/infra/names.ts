import { createHash } from 'node:crypto';

/**
 * CloudFormation logical ids allow only letters and digits. Names here may hold "_" and "-", so
 * "a-b" and "ab" would collide once stripped: a short hash of the original keeps them apart.
 */
export const logicalId = (...parts: string[]): string => {
  const readable = parts
    .map((part) => part.replace(/[^A-Za-z0-9]/g, ''))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 6).toUpperCase();
  return `${readable}${hash}`.slice(0, 255);
};

/** Deployed Lambda name, as the Serverless Framework names it. */
export const functionName = (service: string, stage: string, fn: string): string => `${service}-${stage}-${fn}`;
