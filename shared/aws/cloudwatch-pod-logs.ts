// Pods' output on AWS: the awslogs driver writes each task's container output to the pods' log
// group, stream `<project>/<container>/<task id>`; this reads one stream with CloudWatch Logs
// GetLogEvents (CloudWatch Logs API Reference, "GetLogEvents"): from the head, page by page on
// `nextForwardToken` until the token comes back unchanged (the documented end of the stream), or
// only the last `tail` events (`startFromHead: false`, `limit`), and from `startTime` for `since`.
import { GetLogEventsCommand, type CloudWatchLogsClient, type GetLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';

export interface LogStreamRead {
  logGroup: string;
  logStream: string;
  /** Only the last lines. */
  tail?: number;
  /** Only events newer than this many seconds. */
  sinceSeconds?: number;
  /** Only events after this forward token (a follow's cursor); `tail` and `sinceSeconds` are then ignored. */
  nextToken?: string;
}

/** A read's text and the forward token after its last event (where a follow reads on from). */
export interface LogPage {
  text: string;
  nextToken?: string;
}

/** GetLogEvents answers at most 10,000 events a call. */
const MAX_LIMIT = 10_000;
/** Pages read from the head at most (each up to 1 MB): a stream longer than that is cut, its newest part kept out; ask with `tail` for it. */
const MAX_PAGES = 20;

/** A reader of pods' log streams over `client`; lines end with a newline as the container wrote them. */
export function cloudWatchLogReader(client: Pick<CloudWatchLogsClient, 'send'>, now: () => number = Date.now): (req: LogStreamRead) => Promise<string> {
  const pages = cloudWatchLogPages(client, now);
  return async (req) => (await pages(req)).text;
}

/**
 * As cloudWatchLogReader, with the forward token after the last event read: given back as
 * `nextToken`, the next read returns only what was written since (GetLogEvents from that token,
 * page by page until it comes back unchanged).
 */
export function cloudWatchLogPages(client: Pick<CloudWatchLogsClient, 'send'>, now: () => number = Date.now): (req: LogStreamRead) => Promise<LogPage> {
  return async (req) => {
    const base: GetLogEventsCommandInput = {
      logGroupName: req.logGroup,
      logStreamName: req.logStream,
      ...(req.sinceSeconds !== undefined && !req.nextToken ? { startTime: now() - req.sinceSeconds * 1000 } : {}),
    };
    const lines: string[] = [];
    let token = req.nextToken;
    if (req.tail !== undefined && !req.nextToken) {
      if (req.tail === 0) return { text: '' };
      const out = await client.send(new GetLogEventsCommand({ ...base, startFromHead: false, limit: Math.min(req.tail, MAX_LIMIT) }));
      for (const e of out.events ?? []) lines.push(e.message ?? '');
      token = out.nextForwardToken;
    } else {
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await client.send(new GetLogEventsCommand({ ...base, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
        for (const e of out.events ?? []) lines.push(e.message ?? '');
        const unchanged = !out.nextForwardToken || out.nextForwardToken === token;
        token = out.nextForwardToken ?? token;
        if (unchanged) break;
      }
    }
    return { text: lines.map((l) => (l.endsWith('\n') ? l : `${l}\n`)).join(''), ...(token ? { nextToken: token } : {}) };
  };
}
