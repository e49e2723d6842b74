export { s2iBuild, runS2I, FAILURE_TAIL_LINES } from './build.ts';
export { dockerEngine, splitTag, type EngineClient } from './engine.ts';
export * from './errors.ts';
export { ContainerRuntime } from './runtime.ts';
export type { S2IRequest, ImageFacts, EnvVar, RegistryAuth } from './types.ts';
