// Just enough of the POSIX shell grammar to read how a repository's own tooling calls Compose: joined
// continuation lines, comments, simple commands split on `&&`, `||`, `;`, `|`, words with their quotes, and
// parameter expansion from known variables. Written by hand: the npm shell parsers either execute (which we
// must never do with a repository's scripts) or drop the quoting that tells a path from a variable.

export type Vars = Record<string, string>;

/** Lines of a script with `\`-newline continuations joined (line numbers of the first physical line). */
export function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const raw = text.replace(/\r\n?/gu, '\n').split('\n');
  let buf = '';
  let start = 0;
  raw.forEach((l, i) => {
    if (buf === '') start = i + 1;
    if (/(^|[^\\])\\$/u.test(l)) {
      buf += `${l.slice(0, -1)} `;
      return;
    }
    buf += l;
    out.push({ line: start, text: buf });
    buf = '';
  });
  if (buf !== '') out.push({ line: start, text: buf });
  return out;
}

/** Removes a `# comment` that starts a word outside quotes. */
export function stripShellComment(s: string): string {
  let q: string | null = null;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"') i += 1;
    } else if (c === '\\') i += 1;
    else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/u.test(s[i - 1] ?? ''))) return s.slice(0, i);
  }
  return s;
}

/** Splits a line into simple commands on `&&`, `||`, `;`, `|`, `&` outside quotes and `$(…)`. */
export function splitCommands(s: string): string[] {
  const out: string[] = [];
  let q: string | null = null;
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i] ?? '';
    if (q) {
      cur += c;
      if (c === q) q = null;
      else if (c === '\\' && q === '"') cur += s[++i] ?? '';
      continue;
    }
    if (c === '\\') {
      cur += c + (s[++i] ?? '');
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '$' && s[i + 1] === '(') depth += 1;
    else if (c === ')' && depth > 0) depth -= 1;
    else if (depth === 0 && (c === ';' || c === '|' || c === '&')) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      if ((c === '|' || c === '&') && s[i + 1] === c) i += 1;
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** `${VAR}`, `${VAR:-x}`, `$VAR`, `$1`, `${1:-x}` from `vars` (positional as '1', '2', …); unknown → ''. */
export function expandParams(s: string, vars: Vars): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*|\d+)(?:(:?[-=+?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*|\d)/gu, (_m, name?: string, op?: string, word?: string, bare?: string) => {
    const key = name ?? bare ?? '';
    const v = vars[key];
    const unset = v === undefined || (op?.startsWith(':') === true && v === '');
    const o = op?.replace(':', '');
    if (o === '-' || o === '=') return unset ? expandParams(word ?? '', vars) : (v ?? '');
    if (o === '+') return unset ? '' : expandParams(word ?? '', vars);
    return v ?? '';
  });
}

/**
 * Shell words of one simple command, with quotes removed and parameters expanded (not inside single quotes).
 * A `$(…)` or backquoted substitution stays as one opaque word (we never run anything).
 */
export function shellWords(s: string, vars: Vars): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  const push = (): void => {
    if (cur !== null) words.push(cur);
    cur = null;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (/\s/u.test(c)) {
      push();
      i += 1;
      continue;
    }
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      cur = (cur ?? '') + s.slice(i + 1, j < 0 ? s.length : j);
      i = j < 0 ? s.length : j + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let body = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          body += s[j + 1];
          j += 2;
        } else body += s[j++];
      }
      cur = (cur ?? '') + expandParams(body, vars);
      i = j + 1;
      continue;
    }
    if (c === '\\') {
      cur = (cur ?? '') + (s[i + 1] ?? '');
      i += 2;
      continue;
    }
    if (c === '$' && s[i + 1] === '(') {
      let depth = 0;
      let j = i;
      for (; j < s.length; j += 1) {
        if (s[j] === '(') depth += 1;
        else if (s[j] === ')' && --depth === 0) break;
      }
      cur = (cur ?? '') + s.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = s.indexOf('`', i + 1);
      cur = (cur ?? '') + s.slice(i, j < 0 ? s.length : j + 1);
      i = j < 0 ? s.length : j + 1;
      continue;
    }
    // An unquoted expansion is split into words, as the shell does.
    const m = /^\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|\d)/u.exec(s.slice(i));
    if (m) {
      const parts = expandParams(m[0], vars).split(/\s+/u);
      parts.forEach((p, k) => {
        if (k > 0) push();
        if (p !== '') cur = (cur ?? '') + p;
      });
      i += m[0].length;
      continue;
    }
    cur = (cur ?? '') + c;
    i += 1;
  }
  push();
  return words;
}

/** `VAR=value` (optionally `export`/`readonly`/`local`/`declare -x`), value unquoted and expanded; else null. */
export function assignment(command: string, vars: Vars): { name: string; value: string; exported: boolean } | null {
  const m = /^(export\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/su.exec(command.trim());
  if (!m) return null;
  const words = shellWords(m[3] ?? '', vars);
  // `A=1 cmd` is a command with an environment, not an assignment.
  if (words.length > 1) return null;
  return { name: m[2] ?? '', value: words[0] ?? '', exported: (m[1] ?? '').startsWith('export') || (m[1] ?? '').includes('-x') };
}
