import { emulatorEnv } from '../../local/emulator';
import { EMULATORS_ENV } from './global-setup';

// Each worker talks to its own emulator (JEST_WORKER_ID counts from 1; in band it is 1).
const endpoints = (process.env[EMULATORS_ENV] ?? '').split(',').filter(Boolean);
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const endpoint = endpoints[(worker - 1) % Math.max(endpoints.length, 1)];
if (!endpoint) throw new Error(`${EMULATORS_ENV} is not set: run the suites on the real topology through jest's global setup`);
Object.assign(process.env, emulatorEnv(endpoint));
