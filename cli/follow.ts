// A build's log on stdout: read once (`berth logs`), or followed until the build ends
// (`logs -f`, `start-build --follow`). Following streams the log as the server sends it; when the
// stream stops early (a proxy or a function timeout cut it, or the server streams none, as on
// Lambda) it carries on by reading from the byte where the stream stopped: each time the log or
// the build changes where the server offers a push connection (cli/push.ts), else every poll
// interval. The outcome comes last: a line on stderr when the build is Complete, an error
// (exit 1) when it Failed, hit an Error or was Cancelled.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, ApiObject } from './client.ts';
import type { Context } from './context.ts';
import { PUSH_HEADER } from '../shared/push/topics.ts';
import { BUILDCONFIG_LABEL, buildPath, buildsPath, isFinished } from './builds.ts';
import { CliError, orListHint } from './errors.ts';
import { duration } from './output.ts';
import { waitForChange, type Piece } from './push.ts';

export const POLL_MS = 1000;

/** Writes bytes as text, holding back a character split between two chunks. */
class LogWriter {
  private readonly decoder = new TextDecoder();
  constructor(private readonly ctx: Context) {}

  write(bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text) this.ctx.io.stdout.write(text);
  }

  flush(): void {
    const text = this.decoder.decode();
    if (text) this.ctx.io.stdout.write(text);
  }
}

async function readLog(client: ApiClient, path: string, offset: number): Promise<{ bytes: Uint8Array; next: number; phase: string; push: string | null; more: boolean }> {
  const res = await client.open('GET', `${path}/log?offset=${offset}`, { accept: 'text/plain' });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const next = Number(res.headers.get('X-Log-Offset') ?? offset + bytes.byteLength);
  // A server that does not say whether there is more is read again until a read finds nothing.
  const more = res.headers.get('X-Log-More') !== 'false' && bytes.byteLength > 0;
  return { bytes, next, phase: res.headers.get('X-Build-Phase') ?? 'New', push: res.headers.get(PUSH_HEADER), more };
}

/** Prints the log as it is now, however many reads that takes. */
export async function printLog(ctx: Context, client: ApiClient, project: string, name: string): Promise<void> {
  const path = buildPath(project, name);
  const out = new LogWriter(ctx);
  let offset = 0;
  for (;;) {
    const { bytes, next } = await orListHint('builds', project, () => readLog(client, path, offset));
    if (bytes.byteLength === 0) break;
    out.write(bytes);
    offset = next;
  }
  out.flush();
}

export interface PodLogOptions {
  follow?: boolean;
  tail?: number;
  sinceSeconds?: number;
  previous?: boolean;
}

/** Prints a pod's log as the server streams it; with `follow`, until the container stops or the user interrupts. */
export async function printPodLog(ctx: Context, client: ApiClient, podPath: string, project: string, opts: PodLogOptions, pollMs = POLL_MS): Promise<void> {
  const query = new URLSearchParams();
  if (opts.follow) query.set('follow', '1');
  if (opts.previous) query.set('previous', '1');
  if (opts.tail !== undefined) query.set('tail', String(opts.tail));
  if (opts.sinceSeconds !== undefined) query.set('sinceSeconds', String(opts.sinceSeconds));
  const qs = query.size ? `?${query}` : '';
  const res = await orListHint('pods', project, () => client.open('GET', `${podPath}/log${qs}`, { accept: 'text/plain', timeoutMs: opts.follow ? 0 : undefined }));
  const out = new LogWriter(ctx);
  for await (const chunk of res.body) out.write(chunk);
  // Where answers are not streamed (the API on AWS), a follow is a poll from the cursor the last answer gave, until the container stops.
  let ended = res.headers.get('X-Log-Ended');
  let cursor = res.headers.get('X-Log-Cursor');
  while (opts.follow && ended === 'false' && !ctx.io.signal?.aborted) {
    await sleep(pollMs);
    const next = await client.open('GET', `${podPath}/log?follow=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { accept: 'text/plain' });
    out.write(new Uint8Array(await next.arrayBuffer()));
    ended = next.headers.get('X-Log-Ended');
    cursor = next.headers.get('X-Log-Cursor') ?? cursor;
  }
  out.flush();
}

/** Prints the log until the build ends, then its outcome; throws a CliError unless it is Complete. */
export async function followBuild(ctx: Context, client: ApiClient, project: string, name: string, pollMs = POLL_MS): Promise<void> {
  const path = buildPath(project, name);
  const out = new LogWriter(ctx);
  let offset = 0;
  try {
    const res = await orListHint('builds', project, () => client.open('GET', `${path}/log?follow=true`, { accept: 'text/plain', timeoutMs: 0 }));
    for await (const chunk of res.body ?? []) {
      offset += chunk.byteLength;
      out.write(chunk);
    }
  } catch (err) {
    // The server said no (404, 403, unreachable): nothing to fall back on. A stream that broke
    // off half way is not a CliError: poll from where it stopped.
    if (err instanceof CliError) throw err;
  }
  // Told of either on a push connection, where the server offers one: the log grows, or the build changes (its phase).
  const changes = [`${path}/log`, buildsPath(project)];
  for (;;) {
    const { bytes, next, phase, push, more } = await readLog(client, path, offset);
    out.write(bytes);
    offset = next;
    if (more) continue;
    // The phase is read before the log, so a terminal phase with nothing more to read means the log is whole.
    if (isFinished(phase)) break;
    // Log text carried by notices is printed as it comes, and builds carried that do not end this
    // one are passed over; anything else told (the build finished or went, a notice without what
    // changed, text not from where this log is) means a read.
    for (;;) {
      const told = await waitForChange(client, push, changes, pollMs);
      if (!told || told.paths.length || told.carried.some((c) => c.gone.includes(name) || c.objects.some((o) => o.metadata.name === name && isFinished(o.status?.phase)))) break;
      const printed = printPieces((bytes) => out.write(bytes), told.pieces, offset);
      offset = printed.offset;
      if (!printed.whole) break;
    }
  }
  out.flush();
  reportOutcome(ctx, await client.get<ApiObject>(path));
}

/**
 * Prints the pieces of log text that follow on from `offset`: the offset after what was printed,
 * and whether every piece followed on (else some text is missing between: read it instead).
 * @example printPieces(write, [{ path, offset: 4, text: 'two\n' }], 4) // { offset: 8, whole: true }
 */
export function printPieces(write: (bytes: Uint8Array) => void, pieces: Piece[], offset: number): { offset: number; whole: boolean } {
  for (const p of [...pieces].sort((a, b) => a.offset - b.offset)) {
    const bytes = Buffer.from(p.text, 'utf8');
    if (p.offset + bytes.length <= offset) continue;
    if (p.offset !== offset) return { offset, whole: false };
    write(bytes);
    offset += bytes.length;
  }
  return { offset, whole: true };
}

/** The last word on a finished build: a line on stderr when Complete, else a CliError. */
export function reportOutcome(ctx: Context, build: ApiObject): void {
  const name = build.metadata.name;
  const s = build.status ?? {};
  const bc = build.metadata.labels?.[BUILDCONFIG_LABEL];
  const again = bc ? `\`berth start-build ${bc}\`` : 'a new build';
  if (s.phase === 'Complete') {
    const took = duration(s.duration);
    ctx.note(`build "${name}" Complete${took ? ` in ${took}` : ''}${s.outputDockerImageReference ? `: ${s.outputDockerImageReference}` : ''}`);
    return;
  }
  if (s.phase === 'Cancelled') throw new CliError(`build "${name}" was cancelled${s.message ? `: ${s.message}` : ''}`, `start another with ${again}`);
  const why = [s.reason, s.message].filter(Boolean).join(': ');
  const hint = s.phase === 'Error' ? `\`berth describe build ${name}\` shows more; ${again} tries again` : `fix the cause, then run ${again}`;
  throw new CliError(`build "${name}" ${s.phase ?? 'ended'}${why ? `: ${why}` : ''}`, hint);
}

/** Waits for a build the platform is about to create (the first build of a git BuildConfig), told by a watch. */
export async function waitForBuild(client: ApiClient, project: string, name: string, timeoutMs = 60_000, pollMs = POLL_MS): Promise<void> {
  const { watchUntil } = await import('./watch.ts');
  const path = buildPath(project, name);
  const seen = watchUntil(client, { path: path.slice(0, path.lastIndexOf('/')), name }, ({ objects }) => objects.has(name), pollMs);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`the platform has not started build "${name}" within ${timeoutMs / 1000} s`, 'is the platform running (`npm run up`)? see `berth get builds`')),
      timeoutMs,
    );
  });
  try {
    await Promise.race([seen, late]);
  } finally {
    clearTimeout(timer);
  }
}
