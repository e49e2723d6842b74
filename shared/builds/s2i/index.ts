export { s2iBuild, runS2I, FAILURE_TAIL_LINES } from './build.ts';
export { dockerEngine } from './docker.ts';
export { splitTag, type EngineClient } from './ports.ts';
export * from './errors.ts';
export { ContainerRuntime } from './runtime.ts';
export type { S2IRequest, ImageFacts, EnvVar, RegistryAuth } from './types.ts';
