// The quick entry of `berth exec` and `berth rsh` (dist/cli/exec.cjs, one file): bin/berth.js
// calls `main` for a run whose first word is exec or rsh. It runs the plain forms itself
// (cli/quick-exec.ts) and answers false for the others, which bin/berth.js then gives to the
// whole program.
import { runAsProcess } from './process-run.ts';
import { runQuick } from './quick-exec.ts';

export const main = (): Promise<boolean> => runAsProcess(runQuick);
