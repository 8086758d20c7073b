import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Issue } from './issues.js';
import type { Path, SourceFile } from './source.js';

/**
 * Runs a JSON Schema and turns ajv's errors into located, readable issues: `node "menu" field "options": ...`.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

export function fieldName(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

function segments(instancePath: string, data: unknown): { path: Path; value: unknown } {
  if (instancePath === '') return { path: [], value: data };
  const out: (string | number)[] = [];
  let cur = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)] as unknown;
    } else {
      out.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return { path: out, value: cur };
}

function describe(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return `"${String(value)}" does not match the pattern ${String(p.pattern)}`;
    case 'type':
      return `must be ${String(p.type).replace(',', ' or ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Drop the noise of alternatives: keep the errors of the branch that got deepest. */
function prune(errors: ErrorObject[]): ErrorObject[] {
  const kept = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  return kept.filter((e) => {
    if (!e.schemaPath.includes('/oneOf/')) return true;
    return !kept.some((o) => o !== e && o.schemaPath.includes('/oneOf/') && o.instancePath.startsWith(`${e.instancePath}/`));
  });
}

/**
 * Check `data` (found at `base` in the file) against `schema`. `who` names the thing (`node "menu"`, `flow`,
 * `calendar "x"`) at the start of each message.
 */
export function checkSchema(src: SourceFile, schema: object, data: unknown, base: Path, who: string): Issue[] {
  const v = validator(schema);
  if (v(data)) return [];
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of prune(v.errors ?? [])) {
    const { path: rel, value } = segments(e.instancePath, data);
    const p = e.params as Record<string, unknown>;
    let path: Path = [...base, ...rel];
    let key = false;
    let message: string;
    const at = rel.length > 0 ? ` field "${fieldName(rel)}"` : '';
    if (e.keyword === 'required') message = `${who}${at}: missing required field "${String(p.missingProperty)}"`;
    else if (e.keyword === 'additionalProperties') {
      const extra = String(p.additionalProperty);
      path = [...path, extra];
      key = true;
      message = `${who}: unknown field "${fieldName([...rel, extra])}"`;
    } else if (e.keyword === 'propertyNames') {
      const name = String(p.propertyName);
      path = [...path, name];
      key = true;
      const rule = (v.errors ?? []).find((o) => o.propertyName === name && o.keyword === 'pattern');
      const pattern = rule ? ` (must match ${String((rule.params as Record<string, unknown>).pattern)})` : '';
      message = `${who}${at}: invalid key "${name}"${pattern}`;
    } else if (e.propertyName !== undefined || (e.keyword === 'pattern' && e.schemaPath.includes('propertyNames'))) continue;
    else message = `${who}${at}: ${describe(e, value)}`;
    if (seen.has(message)) continue;
    seen.add(message);
    out.push(src.issue(path, 'error', 'schema', message, { key }));
  }
  return out;
}
