import { FLOW_SPEC_VERSION } from './spec.js';

/**
 * Flow spec migrations: `MIGRATIONS[n]` turns a version-n document into version n+1. Old files keep working after
 * the format changes; the validator reports against the migrated document. Empty while the spec is at version 1.
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

export function migrate(doc: Record<string, unknown>): { doc: Record<string, unknown>; error?: string } {
  let version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { doc, error: 'must be a positive integer' };
  if (version > FLOW_SPEC_VERSION) return { doc, error: `flow spec version ${version} is newer than this server understands (${FLOW_SPEC_VERSION})` };
  let out = doc;
  while (version < FLOW_SPEC_VERSION) {
    const m = MIGRATIONS[version];
    if (!m) return { doc, error: `no migration from flow spec version ${version}` };
    out = { ...m(out), version: version + 1 };
    version += 1;
  }
  return { doc: out };
}
