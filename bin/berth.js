#!/usr/bin/env node
// The `berth` command. Registers tsx so the TypeScript CLI runs as it is, without a build step
// (`npx berth …`, `npm link`), then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/main.ts');
