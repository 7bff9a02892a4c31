/**
 * The application helper: a node-postgres pool that follows DATABASE_URL (an SSM SecureString that
 * pgfo rewrites on every failover and switchover) to the current writer. See docs/applications.md.
 *
 *   const db = new WriterPool({ region: 'us-west-2', parameterName: '/orders/prod/DATABASE_URL' });
 *   await db.query('INSERT INTO orders (id) VALUES ($1)', [id]);
 */
export { WriterPool, type WriterPoolEvent, type WriterPoolOptions } from './writer-pool';
export { DatabaseUnavailableError, DatabaseUrlError, WriterPoolEndedError, WriterPoolOptionsError } from './errors';
export { backoffDelay, reconnectReason, statementNotApplied, type RetryPolicy } from './reconnect';
export { writerPoolOptionsSchema, type WriterPoolSettings } from './options';
