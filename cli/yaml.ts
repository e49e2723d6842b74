// The YAML library, behind a module of ours: loaded with import() only by commands that print
// YAML. (A dynamic import of the CommonJS `yaml` package itself would give only its default
// export in the bundle; a static import here gets the named ones.)
export { parse, parseAllDocuments, stringify } from 'yaml';
