/** `npm start`: runs the gateway on Node, on the embedded SQLite database or on PostgreSQL. */
import { jsonLogger } from '../../gateway.js';
import { guardClosedSocketWrites } from '../../storage/postgres/closed-socket-guard.js';
import { SettingsError, readNodeSettings } from './env.js';
import { ListenError, startNodeGateway, type RunningGateway } from './server.js';

/** The credentials generated at a first start, shown once: only their hashes are stored. */
function credentialLines(generated: RunningGateway['generated']): string[] {
  const lines: string[] = [];
  if (generated.adminToken) {
    lines.push(
      '',
      `  Admin token (generated now, shown only once; only its hash is stored): ${generated.adminToken}`,
      '  Set ADMIN_TOKEN to choose your own.',
    );
  }
  if (generated.accessToken) {
    lines.push(
      '',
      `  Access token for clients (generated now, shown only once): ${generated.accessToken}`,
      '  Create more in the panel or with POST /admin/api/tokens.',
    );
  }
  return lines;
}

function banner(running: RunningGateway): string {
  const { url, generated, importedKeys, gateway } = running;
  const lines = [
    `gemini-key-pool listening on ${url}`,
    `  keys in pool: ${gateway.service.pool.size}` +
      (importedKeys.added || importedKeys.duplicates || importedKeys.invalid
        ? ` (GEMINI_API_KEYS: ${importedKeys.added} added, ${importedKeys.duplicates} already present, ${importedKeys.invalid} invalid)`
        : ''),
    `  admin panel:  ${url}/admin/`,
    `  OpenAI base:  ${url}/v1     Gemini base: ${url} (/v1beta)`,
    ...credentialLines(generated),
  ];
  if (gateway.service.pool.size === 0) {
    lines.push(
      '',
      '  No keys yet. Add some in the panel, or:',
      `    curl -X POST ${url}/admin/api/keys -H "Authorization: Bearer <admin token>" \\`,
      `      -H "Content-Type: application/json" -d '{"text":"AIza...key1\\nAIza...key2,me@gmail.com"}'`,
      '  or start with GEMINI_API_KEYS="key1,key2" npm start',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const settings = readNodeSettings(process.env);
  if (settings.databaseUrl) {
    guardClosedSocketWrites((dropped) => jsonLogger({ event: 'postgres_closed_socket_write', dropped }));
  }
  const running = await startNodeGateway(settings);
  console.log(banner(running));
  let signals = 0;
  const stop = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    console.log(JSON.stringify({ event: 'shutdown', signal }));
    running.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ListenError) {
    const credentials = credentialLines(err.generated);
    console.error(`gemini-key-pool: ${err.message}`);
    if (credentials.length > 0) {
      console.error(
        [
          '',
          '  This first start stored these credentials before it stopped; keep them:',
          ...credentials,
        ].join('\n'),
      );
    }
  } else if (err instanceof SettingsError) console.error(`gemini-key-pool: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
