// Entry point of the `berth` command (through bin/berth.js or `npm run berth --`).
import { runAsProcess } from './process-run.ts';
import { run } from './program.ts';

await runAsProcess(run);
