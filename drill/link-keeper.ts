/**
 * Keeps one replication link of a kept drill stack open after the drill process has exited:
 * `node --import tsx drill/link-keeper.ts LISTEN_PORT TARGET_HOST TARGET_PORT`. Started detached by
 * `--keep`, ended by `--down` (SIGTERM).
 */
import { LinkProxy } from '../local/link-proxy';

const [listenPort, host, targetPort] = process.argv.slice(2);

const main = async () => {
  const link = await LinkProxy.start({ host: host!, port: Number(targetPort) }, { listenPort: Number(listenPort) });
  // LinkProxy never keeps a process alive by itself (it is built for tests): this timer does.
  const alive = setInterval(() => undefined, 60_000);
  const stop = () => {
    clearInterval(alive);
    void link.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
};

main().catch((error) => {
  process.stderr.write(`link-keeper: ${(error as Error).message}\n`);
  process.exit(1);
});
