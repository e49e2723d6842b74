export type * from './types.ts';
export type * from './ports.ts';
export * from './pod-container.ts';
export * from './docker-pods.ts';
