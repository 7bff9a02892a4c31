import { emulatorEnv } from '../../local/emulator';
import { EMULATORS_ENV } from './global-setup';

// Each worker talks to its own emulator (JEST_WORKER_ID counts from 1; in band it is 1).
const endpoints = (process.env[EMULATORS_ENV] ?? '').split(',').filter(Boolean);
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const endpoint = endpoints[worker - 1];
// Two workers sharing one emulator would reset each other's state: refuse rather than share.
if (!endpoint) throw new Error(`no emulator for jest worker ${worker} (${EMULATORS_ENV} has ${endpoints.length}): run the suites on the real topology through jest's global setup`);
Object.assign(process.env, emulatorEnv(endpoint));
