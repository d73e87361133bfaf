// A small YAML reader for the subset Docker Compose files use: block mappings and sequences (also sequences at the
// key's indent), plain/single/double-quoted scalars, flow `[…]`/`{…}` on one line, `|`/`>` block scalars, comments,
// anchors, aliases and `<<` merges. It never throws: what it cannot read is reported with its line number.
// (No YAML package is a direct dependency; this is enough to find services, ports and healthchecks.)

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export interface YamlResult {
  value: YamlValue;
  errors: { line: number; message: string }[];
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

class YamlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Removes a trailing `# comment` that is outside quotes. */
function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    if (quote) {
      if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") i += 1;
        else quote = null;
      } else if (c === '\\' && quote === '"') i += 1;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/u.test(s[i - 1] ?? '')) quote = c;
    } else if (c === '#' && (i === 0 || /\s/u.test(s[i - 1] ?? ''))) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

/** Index of the `:` separating a mapping key from its value, or -1. */
function keySeparator(s: string): number {
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i += 1;
      continue;
    }
    if ((c === '"' || c === "'") && i === 0) quote = c;
    else if (c === '[' || c === '{') depth += 1;
    else if (c === ']' || c === '}') depth -= 1;
    else if (c === ':' && depth === 0 && (i + 1 === s.length || s[i + 1] === ' ' || s[i + 1] === '\t')) return i;
  }
  return -1;
}

function scalar(raw: string, line: number): YamlValue {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new YamlSyntaxError(line, 'unterminated double-quoted string');
    return s.slice(1, -1).replace(/\\(.)/gu, (_m, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/' })[c] ?? `\\${c}`);
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new YamlSyntaxError(line, 'unterminated single-quoted string');
    return s.slice(1, -1).replace(/''/gu, "'");
  }
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(true|True|TRUE)$/u.test(s)) return true;
  if (/^(false|False|FALSE)$/u.test(s)) return false;
  if (/^[-+]?\d+$/u.test(s)) return Number(s);
  if (/^[-+]?\d*\.\d+$/u.test(s)) return Number(s);
  return s;
}

/** Parses a one-line flow collection (`[a, b]`, `{a: b}`), nested allowed. */
function flow(s: string, line: number): YamlValue {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && /\s/u.test(s[i] ?? '')) i += 1;
  };
  const item = (stops: string): YamlValue => {
    ws();
    const c = s[i];
    if (c === '[') {
      i += 1;
      const out: YamlValue[] = [];
      for (;;) {
        ws();
        if (s[i] === ']') {
          i += 1;
          return out;
        }
        out.push(item(',]'));
        ws();
        if (s[i] === ',') i += 1;
        else if (s[i] !== ']') throw new YamlSyntaxError(line, 'unterminated flow sequence');
      }
    }
    if (c === '{') {
      i += 1;
      const out: Record<string, YamlValue> = {};
      for (;;) {
        ws();
        if (s[i] === '}') {
          i += 1;
          return out;
        }
        const key = item(':,}');
        ws();
        let value: YamlValue = null;
        if (s[i] === ':') {
          i += 1;
          value = item(',}');
        }
        out[String(key)] = value;
        ws();
        if (s[i] === ',') i += 1;
        else if (s[i] !== '}') throw new YamlSyntaxError(line, 'unterminated flow mapping');
      }
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' && c === '"' ? 2 : 1;
      const text = s.slice(i, j + 1);
      i = j + 1;
      return scalar(text, line);
    }
    let j = i;
    while (j < s.length && !stops.includes(s[j] ?? '') && !(s[j] === ':' && stops.includes(':') && s[j + 1] === ' ')) j += 1;
    const text = s.slice(i, j);
    i = j;
    return scalar(text, line);
  };
  const v = item('');
  ws();
  if (i < s.length) throw new YamlSyntaxError(line, 'unexpected text after a flow collection');
  return v;
}

export function parseComposeYaml(text: string): YamlResult {
  const raw = text.replace(/\r\n?/gu, '\n').split('\n');
  const lines: Line[] = [];
  raw.forEach((r, idx) => {
    if (/^\s*(#.*)?$/u.test(r) || /^(---|\.\.\.)\s*$/u.test(r)) return;
    if (/^\s*\t/u.test(r)) lines.push({ no: idx + 1, indent: -1, text: r });
    else lines.push({ no: idx + 1, indent: r.length - r.trimStart().length, text: stripComment(r.trim()) });
  });
  const errors: YamlResult['errors'] = [];
  const anchors = new Map<string, YamlValue>();
  let pos = 0;

  const inline = (valueText: string, line: Line, parentIndent: number): YamlValue => {
    let v = valueText.trim();
    let anchor: string | null = null;
    const a = /^&(\S+)\s*(.*)$/u.exec(v);
    if (a) {
      anchor = a[1] ?? null;
      v = a[2] ?? '';
    }
    let result: YamlValue;
    if (v.startsWith('*')) {
      const name = v.slice(1).trim();
      if (!anchors.has(name)) throw new YamlSyntaxError(line.no, `unknown alias *${name}`);
      result = anchors.get(name) ?? null;
    } else if (/^[|>][-+0-9]*$/u.test(v)) {
      result = blockScalar(v, line);
    } else if (v === '') {
      const next = lines[pos];
      if (next && next.indent > parentIndent) result = block(next.indent);
      else if (next && next.indent === parentIndent && next.text.startsWith('-') && (next.text === '-' || next.text.startsWith('- '))) result = block(next.indent);
      else result = null;
    } else if (v.startsWith('[') || v.startsWith('{')) {
      result = flow(v, line.no);
    } else {
      // A plain scalar may continue on more-indented lines.
      let s = v;
      while (lines[pos] && (lines[pos]?.indent ?? 0) > parentIndent && !v.startsWith('"') && !v.startsWith("'") && keySeparator(lines[pos]?.text ?? '') < 0 && !(lines[pos]?.text ?? '').startsWith('- ')) {
        s += ` ${lines[pos]?.text ?? ''}`;
        pos += 1;
      }
      result = scalar(s, line.no);
    }
    if (anchor) anchors.set(anchor, result);
    return result;
  };

  const blockScalar = (indicator: string, line: Line): string => {
    const body: string[] = [];
    let i = line.no; // raw index of the next line
    let minIndent = Infinity;
    while (i < raw.length) {
      const r = raw[i] ?? '';
      const ind = r.length - r.trimStart().length;
      if (r.trim() !== '' && ind <= line.indent) break;
      if (r.trim() !== '') minIndent = Math.min(minIndent, ind);
      body.push(r);
      i += 1;
    }
    while (lines[pos] && (lines[pos]?.no ?? 0) <= i) pos += 1;
    while (body.length > 0 && (body[body.length - 1] ?? '').trim() === '') body.pop();
    const textLines = body.map((b) => b.slice(Number.isFinite(minIndent) ? minIndent : 0));
    const joined = indicator.startsWith('>') ? textLines.join(' ').replace(/ {2,}/gu, ' ') : textLines.join('\n');
    return indicator.includes('-') ? joined : `${joined}\n`;
  };

  const block = (indent: number): YamlValue => {
    const first = lines[pos];
    if (!first) return null;
    if (first.text === '-' || first.text.startsWith('- ')) {
      const out: YamlValue[] = [];
      while (lines[pos] && lines[pos]?.indent === indent && (lines[pos]?.text === '-' || lines[pos]?.text.startsWith('- '))) {
        const line = lines[pos] as Line;
        const content = line.text.slice(1).trimStart();
        const offset = line.text.length - content.length;
        if (content !== '' && keySeparator(content) > 0 && !content.startsWith('[') && !content.startsWith('{') && !content.startsWith('"') && !content.startsWith("'")) {
          // `- key: value` opens a mapping whose keys sit at the content's column.
          lines[pos] = { no: line.no, indent: indent + offset, text: content };
          out.push(block(indent + offset));
        } else {
          pos += 1;
          out.push(inline(content, line, indent));
        }
      }
      return out;
    }
    const out: Record<string, YamlValue> = {};
    while (lines[pos] && lines[pos]?.indent === indent) {
      const line = lines[pos] as Line;
      if (line.text.startsWith('- ')) break;
      const sep = keySeparator(line.text);
      if (sep < 0) throw new YamlSyntaxError(line.no, 'expected "key: value"');
      const key = String(scalar(line.text.slice(0, sep), line.no));
      pos += 1;
      const value = inline(line.text.slice(sep + 1), line, indent);
      if (key === '<<') {
        for (const src of Array.isArray(value) ? value : [value]) if (src && typeof src === 'object' && !Array.isArray(src)) for (const [k, v] of Object.entries(src)) if (!(k in out)) out[k] = v;
      } else out[key] = value;
    }
    return out;
  };

  let value: YamlValue = null;
  try {
    const tab = lines.find((l) => l.indent < 0);
    if (tab) throw new YamlSyntaxError(tab.no, 'tabs are not allowed for indentation');
    value = block(lines[0]?.indent ?? 0);
    if (pos < lines.length) throw new YamlSyntaxError(lines[pos]?.no ?? 0, 'unexpected indentation');
  } catch (err) {
    if (err instanceof YamlSyntaxError) errors.push({ line: err.line, message: err.message });
    else errors.push({ line: 0, message: err instanceof Error ? err.message : String(err) });
  }
  return { value, errors };
}
