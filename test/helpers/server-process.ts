// Runs the real server (`cairn serve`) as a child process on 127.0.0.1 with an ephemeral port (or
// a given one), so tests can SIGKILL it mid-load and restart it on the same data directory or, with
// `database`, as one node of a PostgreSQL log (test/helpers/cluster-harness.ts).
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far (for failure messages). */
  output: () => string;
  /** exited resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  /** kill sends sig (default SIGKILL) and waits for the process to be gone. */
  kill: (sig?: NodeJS.Signals) => Promise<string>;
}

export interface ServerOptions {
  dataDir: string;
  /** A PostgreSQL log (postgres://…[?schema=NAME]) to serve instead of the one in dataDir. */
  database?: string;
  /** Port to listen on (default 0: any free one). */
  port?: number;
  /** Seconds between heartbeats (re-signing an idle checkpoint). */
  heartbeat?: number;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the "serving … at URL" line. */
  startTimeoutMs?: number;
}

// Servers still running when the test process exits (a failed or timed-out test) die with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** startServer spawns `node --import tsx src/cli/main.ts serve --port 0` and resolves once it listens. */
export function startServer(o: ServerOptions): Promise<ServerProcess> {
  const db = o.database === undefined ? [] : ['--database', o.database];
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(o.port ?? 0), '--host', '127.0.0.1', '--data', o.dataDir, ...db, '--heartbeat', String(o.heartbeat ?? 1), ...(o.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env }, detached: false });
  let out = '';
  live.add(child);
  const exited = new Promise<string>((r) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      r(signal ?? `exit ${code}`);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${o.startTimeoutMs ?? 60_000} ms:\n${out}`));
    }, o.startTimeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 1_000_000) out = out.slice(-100_000);
      const m = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (d2: Buffer) => (out = (out + d2.toString()).slice(-100_000)));
        resolve({
          url: m[1],
          child,
          output: () => out,
          exited,
          kill: (sig = 'SIGKILL') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(sig);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-100_000)));
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${how}) before listening:\n${out}`));
    });
  });
}
