// What a CLI run may touch of the outside world: two output streams and the environment.
// `run(argv, io)` takes one, so tests drive the CLI in-process and read what it printed.

export interface Io {
  stdout: { write(text: string): unknown };
  /** `isTTY` decides whether progress redraws one line or prints only where it starts and ends. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Input for commands that pass it on (exec -i, rsh); a terminal has isTTY and setRawMode. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  /** Ends commands that run until interrupted (port-forward) when it aborts; without one, Ctrl-C ends the process. */
  signal?: AbortSignal;
  /** With a terminal, its size and a 'resize' event (rsh). */
  terminal?: { columns?: number; rows?: number; on(event: 'resize', listener: () => void): unknown; off(event: 'resize', listener: () => void): unknown };
}
