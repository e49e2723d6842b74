// The S2I build request and the facts the engine reads about images, after source-to-image's
// api.Config (pkg/api/types.go), narrowed to what Berth's builds use.

export interface EnvVar {
  name: string;
  value: string;
}

export interface S2IRequest {
  /** Image reference; pulled when absent locally. */
  builderImage: string;
  /** Local directory holding the source (contextDir already applied). */
  sourceDir: string;
  /** The name to commit the image as, e.g. 127.0.0.1:7500/demo/hello:latest. */
  tag: string;
  env: EnvVar[];
  incremental: boolean;
  /** For incremental builds: the image whose save-artifacts output seeds this build. */
  previousImage?: string;
  /** Overrides the builder image's scripts, e.g. image:///usr/libexec/s2i or a path in the source. */
  scriptsUrl?: string;
  /**
   * What the user gave as the source, for the io.openshift.build.source-location label: a git URL,
   * an uploaded archive's name. Absent, the image gets no such label (never a path on the build host).
   */
  sourceLocation?: string;
  /** Extra labels for the output image, e.g. io.openshift.build.name. */
  labels?: Record<string, string>;
  /** Every line of output, with the build's own progress lines. */
  log: (line: string) => void;
  /** Abort stops and removes the containers and makes the build throw an AbortError. */
  signal?: AbortSignal;
  /**
   * The build the step containers belong to: their labels carry its project and name, so that
   * the containers one build made can be found and removed (and only those).
   */
  build?: StepOwner;
  /** Memory limit of each step container (no swap beyond it). */
  memoryBytes?: number;
  /** CPU limit of each step container, in billionths of a CPU. */
  nanoCpus?: number;
  /**
   * The build's egress: the network assemble runs on (the package index and nothing else) and the
   * env pointing pip at the index, under .s2i/environment and `env`. That env is given to
   * assemble alone and never committed into the image (it may hold a short-lived token). Without it, assemble has no network;
   * save-artifacts never has one.
   */
  egress?: { network: string; env: EnvVar[] };
  /** Credentials for pulling the builder and previous images (e.g. from ECR's GetAuthorizationToken). */
  registryAuth?: RegistryAuth;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** What the engine needs to know about an image. */
export interface ImageFacts {
  id: string;
  user: string;
  labels: Record<string, string>;
  env: string[];
  entrypoint: string[] | null;
}

export const SCRIPT_NAMES = ['assemble', 'run', 'save-artifacts', 'usage'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** Where one script comes from: a path inside the image, or a file uploaded with the source. */
export type ScriptSource = { kind: 'image'; path: string } | { kind: 'upload'; file: string };

export type Scripts = Partial<Record<ScriptName, ScriptSource>>;

/** The numeric user and group the assemble (and the uploaded files) run as. */
export interface Owner {
  uid: number;
  gid: number;
}

/** The build a step container belongs to. */
export interface StepOwner {
  project: string;
  name: string;
}
