// Runs in workerd before each test file: every file gets its own D1, built from migrations/.
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.LOG, env.TEST_MIGRATIONS);
