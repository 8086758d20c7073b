import type { Cluster } from 'ioredis';
import { isCluster, masterNodes, type RedisClient } from './client.js';

interface LoadState {
  /** The load under way or done; a failed one is forgotten, so the next operation tries again. */
  loading: Promise<void> | undefined;
  /** Set once a load completed: the hot path then skips awaiting the (settled) promise. */
  done: boolean;
  /** Cluster: the masters (host:port) the last load reached all of; a change of masters loads again. */
  masters: string;
  /** Cluster: a load after a change of masters is under way (one at a time). */
  background: boolean;
}

const states = new WeakMap<RedisClient, LoadState>();

/** Longest wait for one master's load: an unreachable one (a partition) must not hold every operation for long. */
const NODE_LOAD_MS = 2000;

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to FUNCTION LOAD within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function mastersKey(c: Cluster): string {
  return c
    .nodes('master')
    .map((n) => `${n.options.host}:${n.options.port}`)
    .sort()
    .join(',');
}

/**
 * The ACD's function library (FUNCTION LOAD REPLACE: idempotent, every instance loads the same versioned code) on
 * every master of `client`. A function runs on the master of its keys' slot, and a cluster's masters do not share
 * functions, so each one gets it. Replicas receive it by replication, yet a replica promoted by a failover may hold
 * an older version (a rolling upgrade REPLACEd it after the replica last synced) or a new master may join empty: so
 * a cluster loads again, in the background, whenever its set of masters changes (ioredis's 'refresh' after each
 * slots refresh), and any "Function not found" reply makes the caller reload and retry (see RedisAcdStore.send).
 */
export function ensureLibrary(client: RedisClient, code: string, again = false): Promise<void> {
  let s = states.get(client);
  if (!s) {
    s = { loading: undefined, done: false, masters: '', background: false };
    states.set(client, s);
    if (isCluster(client)) {
      const st = s;
      // Lives as long as the client (this map holds its state weakly): nothing to remove by reference.
      // In the background: operations go on meanwhile (the library is on the masters that had it; one that lacks
      // it answers "Function not found", and that operation reloads and retries).
      client.on('refresh', () => {
        if (!st.done || st.background || mastersKey(client) === st.masters) return;
        st.background = true;
        load(client, code, st)
          .catch(() => {
            st.masters = '';
          })
          .finally(() => {
            st.background = false;
          });
      });
    }
  }
  if (again) {
    s.done = false;
    s.loading = undefined;
  }
  if (!s.loading) {
    const st = s;
    const p = load(client, code, st).then(() => {
      if (st.loading === p) st.done = true;
    });
    p.catch(() => {
      if (st.loading === p) st.loading = undefined;
    });
    st.loading = p;
  }
  return s.loading ?? Promise.resolve();
}

/** True when the library is known loaded on every master of `client`: the hot path skips ensureLibrary. */
export function libraryReady(client: RedisClient): boolean {
  return states.get(client)?.done === true;
}

async function load(client: RedisClient, code: string, st: LoadState): Promise<void> {
  if (!isCluster(client)) {
    await client.function('LOAD', 'REPLACE', code);
    return;
  }
  // The cluster must know its masters first (a lazy cluster learns them on its first command).
  if (client.status !== 'ready') await client.ping();
  const key = mastersKey(client);
  const results = await Promise.allSettled(masterNodes(client).map((n) => within(NODE_LOAD_MS, n.function('LOAD', 'REPLACE', code))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  // A master that cannot be reached serves no operation either; the others must not wait for it. Its slots'
  // operations fail until the cluster has failed over, and "Function not found" there loads again.
  if (failed && results.every((r) => r.status === 'rejected')) throw failed.reason;
  st.masters = failed ? '' : key;
}
