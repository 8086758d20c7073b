import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 9 item 23: the shipped FreeSWITCH configuration binds one address, bind_ip (FS_BIND_IP, default
 * loopback), not local_ip_v4 (the default route's LAN address), and defines every ACL that a profile of it or of
 * the load bench's baseline applies.
 */
const root = join(import.meta.dirname, '..', '..');
const xmlFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.xml'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
const read = (f: string): string => readFileSync(join(root, f), 'utf8').replace(/<!--[\s\S]*?-->/g, '');

describe('freeswitch-conf', () => {
  it('binds every listener to $${bind_ip}, which defaults to 127.0.0.1 and follows FS_BIND_IP', () => {
    const vars = read('freeswitch-conf/vars.xml');
    expect(vars).toContain('<X-PRE-PROCESS cmd="set" data="bind_ip=127.0.0.1"/>');
    // env-set after set: FreeSWITCH keeps the default when the variable is unset.
    expect(vars.indexOf('data="bind_ip=$FS_BIND_IP"')).toBeGreaterThan(vars.indexOf('data="bind_ip=127.0.0.1"'));
    for (const f of xmlFiles('freeswitch-conf')) expect(read(f), f).not.toContain('local_ip_v4');
    const listeners = xmlFiles('freeswitch-conf')
      .flatMap((f) => [...read(f).matchAll(/<param name="(listen-ip|sip-ip|rtp-ip)" value="([^"]*)"/g)].map((m) => `${f}: ${m[1]}=${m[2]}`));
    expect(listeners.length).toBeGreaterThanOrEqual(3);
    for (const l of listeners) expect(l).toMatch(/=\$\$\{bind_ip\}$/);
  });

  it('defines every ACL applied by its profiles, the event socket and the bench baseline (loopback_only)', () => {
    const acl = read('freeswitch-conf/autoload_configs/acl.conf.xml');
    const defined = new Set([...acl.matchAll(/<list name="([^"]+)"/g)].map((m) => m[1]));
    const applied = [...xmlFiles('freeswitch-conf'), ...xmlFiles('test/e2e/load/freeswitch')].flatMap((f) =>
      [...read(f).matchAll(/<param name="apply-inbound-acl" value="([^"]+)"/g)].map((m) => m[1]!),
    );
    expect(applied).toContain('loopback_only');
    for (const name of applied) expect(defined, name).toContain(name);
    const loopback = /<list name="loopback_only" default="deny">([\s\S]*?)<\/list>/.exec(acl)?.[1] ?? '';
    expect([...loopback.matchAll(/<node type="allow" cidr="([^"]+)"/g)].map((m) => m[1])).toEqual(['127.0.0.0/8']);
  });
});
