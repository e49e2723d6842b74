// `.s2iignore`, as source-to-image reads it (pkg/ignore): one glob per line, matched like Go's
// filepath.Match against paths from the source root (`*` does not cross `/`, patterns are not
// recursive, a matched directory goes whole); `#` comments; `!pattern` keeps back a path an
// earlier pattern matched.

interface Rule {
  negate: boolean;
  re: RegExp;
}

/**
 * Go filepath.Match syntax → RegExp: `*`, `?`, `[...]` (with `^` negation), `\` escapes; and
 * `**` for any number of directories, as .dockerignore has it.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i]}`;
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      out += `(?!/)[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function parse(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    line = line.replace(/^\/+|\/+$/g, '').replace(/^\.\//, '');
    if (line) rules.push({ negate, re: globToRegExp(line) });
  }
  return rules;
}

/**
 * A predicate over source-relative paths (`a/b.txt`): true when `.s2iignore` (or `.dockerignore`,
 * whose patterns read the same way here) leaves the path out,
 * itself or through a directory above it.
 * @example const skip = s2iIgnore('*.pyc\ntmp\n!keep.pyc'); skip('x.pyc') === true
 */
export function s2iIgnore(text: string): (rel: string) => boolean {
  const rules = parse(text);
  const own = (p: string) => {
    let matched = false;
    for (const r of rules) if (r.re.test(p)) matched = !r.negate;
    return matched;
  };
  return (rel) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) if (own(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}
