// The port of imports run as tasks (ECS on AWS: shared/aws/ecs-image-imports.ts), where the API
// cannot copy an image itself within its request: it starts a task that copies one image into
// one repository, asks how the task ended, and reads the copied image back.

export interface ImportTaskRequest {
  project: string;
  stream: string;
  tag: string;
  /** The image reference to copy, checked by the API (importSource, checkSource). */
  from: string;
}

/** A task that has stopped carries its importer's exit code (none when it never ran) and the platform's reason. */
export type ImportTaskState = { stopped: false } | { stopped: true; exitCode?: number; stoppedReason?: string };

export interface CopiedImage {
  /** sha256:… of the manifest under the tag. */
  digest: string;
  /** `<registry>/<repository>@<digest>`. */
  dockerImageReference: string;
  exposedPorts: number[];
}

export interface ImageImportTasks {
  /** The registry the tasks copy into (its host), never a source. */
  readonly host: string;
  /** The largest image a task copies (bytes). */
  readonly maxBytes: number;
  /** Whether sources on private networks or loopback may be named (development only). */
  readonly allowPrivateSources?: boolean;
  /** Starts the task copying `from` into the project's repository of the stream; returns its id (task ARN). */
  start(req: ImportTaskRequest): Promise<string>;
  state(task: string): Promise<ImportTaskState>;
  /** The image now under the tag of the stream's repository. */
  result(project: string, stream: string, tag: string): Promise<CopiedImage>;
}
