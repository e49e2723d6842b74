// Equality label selectors (`app=web,tier=front`), as list and watch routes take them: parsed
// once for the store's filter, and matched against an object's labels where a client applies
// changes it was sent (cli/watch.ts). Pure and dependency-free, so the CLI's bundle can take it.

/**
 * The labels a selector asks for; undefined for none.
 * @example parseSelector('app=web,tier=front') // { app: 'web', tier: 'front' }
 */
export function parseSelector(selector: string | undefined): Record<string, string> | undefined {
  if (!selector) return undefined;
  return Object.fromEntries(selector.split(',').map((pair) => pair.split('=') as [string, string]));
}

/** Whether labels have every label the selector asks for (the store's own filter of a selector list, shared/store/dynamo.ts). */
export function matchesSelector(labels: Record<string, string> | undefined, wanted: Record<string, string> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => labels?.[k] === v);
}
