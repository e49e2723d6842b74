// The image metadata file an assemble script may write (source-to-image's
// /tmp/.s2i/image_metadata.json): `{"labels": [{"name": "value"}, …]}`, whose labels go on the
// output image, over the builder's. Pure: parsing and checking only; the build reads the file.
import { S2IError } from './errors.ts';

/** Where assemble writes the file, as in source-to-image. */
export const IMAGE_METADATA_PATH = '/tmp/.s2i/image_metadata.json';
/** The most the file may hold; labels are for names and versions, not payloads. */
export const MAX_IMAGE_METADATA_BYTES = 64 * 1024;
const MAX_LABELS = 200;
/** Docker's label keys: letters, digits, ".", "-", "_" and "/" (reverse-DNS by convention). */
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;

const invalid = (why: string) =>
  new S2IError('InvalidImageMetadata', `${IMAGE_METADATA_PATH} written by assemble is not valid: ${why}`, 'write {"labels": [{"name": "value"}]} (strings only), or leave the file out');

/**
 * The labels in an image metadata file.
 * @example parseImageMetadata('{"labels":[{"io.k8s.description":"my app"}]}') // { 'io.k8s.description': 'my app' }
 */
export function parseImageMetadata(text: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('expected an object with "labels"');
  const list = (doc as { labels?: unknown }).labels;
  if (list === undefined) return {};
  if (!Array.isArray(list)) throw invalid('"labels" must be a list of {"name": "value"} objects');
  const labels: Record<string, string> = {};
  for (const [i, item] of list.entries()) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw invalid(`labels[${i}] must be an object of "name": "value"`);
    for (const [k, v] of Object.entries(item)) {
      if (!LABEL_KEY.test(k)) throw invalid(`labels[${i}]: "${k.slice(0, 80)}" is not a label name`);
      if (typeof v !== 'string') throw invalid(`labels[${i}].${k} must be a string`);
      labels[k] = v;
    }
  }
  if (Object.keys(labels).length > MAX_LABELS) throw invalid(`more than ${MAX_LABELS} labels`);
  return labels;
}
