import { createServer } from 'node:net';

// Node's fetch refuses these ports ("bad port"), so an emulator must never listen on them.
const REFUSED_BY_FETCH = new Set([5060, 5061]);

/** A loopback TCP port that was free a moment ago. */
export const freePort = async (): Promise<number> => {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port > 0 && !REFUSED_BY_FETCH.has(port)) return port;
  }
};
