/** A real 3-master Redis Cluster on loopback: `redis-server --cluster-enabled yes` ×3 + `redis-cli --cluster create`. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/redis.js';

export interface LocalCluster { nodes: Array<{ host: string; port: number }>; url: string; stop(): Promise<void> }

async function waitForPing(port: number, child: ChildProcess): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  // Generous: a busy machine starts redis-server slowly.
  for (let i = 0; i < 400 && child.exitCode === null; i++) {
    try {
      await probe.connect();
      // Ours, not another test's server that took the port first.
      const ours = (await probe.info('server')).includes(`process_id:${child.pid}\r`);
      probe.disconnect();
      return ours;
    } catch { probe.disconnect(); await new Promise((r) => setTimeout(r, 50)); }
  }
  return false;
}

/** One cluster node on a free port; another port when that one (or its bus port, +10000) was taken meanwhile. */
async function startNode(dir: string): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    // Cluster bus port = port + 10000: pick ports whose bus port is in range too (below 55535).
    let port = await freePort();
    while (port > 55_000) port = await freePort();
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--appendonly', 'yes', '--save', '', '--dir', nodeDir], { stdio: 'ignore' });
    if (await waitForPing(port, child)) return { port, child };
    child.kill('SIGKILL');
  }
  throw new Error('redis-server did not start as a cluster node in 5 attempts');
}

export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pintu-cluster-'));
  const started = await Promise.all(Array.from({ length: masters }, () => startNode(dir)));
  const ports = started.map((s) => s.port);
  const children = started.map((s) => s.child);
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  // Wait until every node agrees the cluster is ok.
  for (let i = 0; i < 100; i++) {
    const states = ports.map((p) => spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout);
    if (states.every((s) => s.includes('cluster_state:ok'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    async stop() {
      await Promise.all(children.map((c) => new Promise<void>((ok) => { if (c.exitCode !== null) return ok(); c.once('exit', () => ok()); c.kill('SIGTERM'); })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
