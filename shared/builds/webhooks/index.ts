export type { HookType, WebhookDecision, WebhookPlugin, WebhookRequest } from './types.ts';
export { githubSignature, githubSignatureMatches, secretMatches } from './verify.ts';
export { refMatches } from './refs.ts';
export { github } from './github.ts';
export { gitlab } from './gitlab.ts';
export { generic } from './generic.ts';
