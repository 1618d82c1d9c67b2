/**
 * nginx `proxy_pass` to the mock, the C reverse proxy the gateway is compared with. It runs from a
 * generated config under a temp prefix (`daemon off`, its own pid file, logs and temp dirs), so no
 * system path is touched. One worker process by default, like the one Node process it is measured against.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { processTree, spawnServer, waitForPort, type Child } from './processes.js';

/** The nginx binary on PATH (or in /usr/sbin, which is often off a user's PATH), else null. */
export function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface NginxOptions {
  binary: string;
  port: number;
  upstreamPort: number;
  /** `worker_processes`: a number or 'auto'. */
  workers: string;
}

/**
 * A whole nginx.conf around `http` (the inside of the `http` block): in the foreground, with its pid
 * file, logs and temp dirs under `prefix`.
 */
export function nginxMainConfig(prefix: string, workers: string, http: string): string {
  const temp = (name: string): string => `${name}_temp_path ${join(prefix, name)};`;
  return `daemon off;
worker_processes ${workers};
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events {
  worker_connections 8192;
}
http {
  access_log off;
  ${temp('client_body')}
  ${temp('proxy')}
  ${temp('fastcgi')}
  ${temp('uwsgi')}
  ${temp('scgi')}
${http}
}
`;
}

/** The generated nginx.conf. */
export function nginxConfig(prefix: string, opts: NginxOptions): string {
  return nginxMainConfig(
    prefix,
    opts.workers,
    `  upstream mock {
    server 127.0.0.1:${opts.upstreamPort};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${opts.port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Pass SSE chunks on as they arrive.
      proxy_buffering off;
    }
  }`,
  );
}

export interface RunningNginx extends Child {
  url: string;
  /** The master and its workers, for CPU and memory figures. */
  pids(): number[];
}

/** Starts nginx in the foreground and waits until it listens. */
export function startNginx(opts: NginxOptions): Promise<RunningNginx> {
  return runNginx(opts.binary, opts.port, (prefix) => nginxConfig(prefix, opts));
}

/** Runs `binary` with the config `config(prefix)` writes for a fresh prefix; resolves once it listens on `port`. */
export async function runNginx(
  binary: string,
  port: number,
  config: (prefix: string) => string,
): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, config(prefix));
  const child = spawnServer('nginx', binary, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')]);
  await waitForPort(port, child, 15_000);
  return {
    ...child,
    url: `http://127.0.0.1:${port}`,
    pids: () => processTree(child.pid),
    async stop(graceMs?: number) {
      await child.stop(graceMs);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
