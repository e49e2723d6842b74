// Types of scripts/bundle-cli.mjs, for the TypeScript that calls it (the CLI bench and tests).
import type { Metafile } from 'esbuild';

export declare const CLI_OUTDIR: string;
/** `entry` the whole program (dist/cli/berth.mjs and its chunks); `execEntry` the quick entry of exec and rsh (dist/cli/exec.cjs). */
export declare function buildCli(outdir?: string): Promise<{ entry: string; metafile: Metafile; execEntry: string; execMetafile: Metafile }>;
export declare function cliBundleFresh(outdir?: string): boolean;
export declare function ensureCliBundle(): Promise<void>;
