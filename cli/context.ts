// What every command gets: the io of this run, the config file (read on first use), an API
// client for the logged-in user, and the project a command works in (`-n`, else the current one).
import { ApiClient } from './client.ts';
import { configPath, readConfig, writeConfig, type CliConfig } from './config.ts';
import { CliError, loginHint } from './errors.ts';
import type { Io } from './io.ts';

export class Context {
  readonly configPath: string;
  private loaded?: CliConfig;
  /** Server warnings already printed: a command that makes many requests says each once. */
  private readonly warned = new Set<string>();
  /** The clients made for this run, closed with it. */
  private readonly clients: ApiClient[] = [];

  constructor(readonly io: Io) {
    this.configPath = configPath(io.env);
  }

  get config(): CliConfig {
    this.loaded ??= readConfig(this.configPath);
    return this.loaded;
  }

  /** Merges `changes` into the config and writes it; an undefined value removes the field. */
  save(changes: CliConfig): void {
    const next: CliConfig = { ...this.config, ...changes };
    writeConfig(this.configPath, next);
    this.loaded = next;
  }

  /** A client carrying the stored token; fails with a login hint when there is none. */
  client(): ApiClient {
    const { server, token } = this.config;
    if (!server || !token) throw new CliError('not logged in', loginHint(server));
    const client = new ApiClient(server, token, (text) => {
      if (this.warned.has(text)) return;
      this.warned.add(text);
      this.io.stderr.write(`warning: ${text}\n`);
    });
    this.clients.push(client);
    return client;
  }

  /** Ends what this run's clients hold open (push connections): called once the command is done. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  /** The project to work in: the `-n` value, else the current project. */
  project(override?: string): string {
    const project = override ?? this.config.project;
    if (!project) throw new CliError('no project given and no current project', 'pass `-n PROJECT`, switch with `berth project NAME`, or create one with `berth new-project NAME`');
    return project;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Notes for a person (empty lists and the like) go to stderr, so stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
