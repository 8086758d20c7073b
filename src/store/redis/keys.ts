/**
 * Key layout of one hotline. Every key starts with `acd:{<hotlineId>}:` so all of them hash to one Redis Cluster
 * slot and the Lua scripts may touch any of them atomically.
 *   skills (set) · qd:<q> (json: what the scripts need of a queue) · qdjson:<q> (json: full definition) · qorder (json: queue ids by priority)
 *   a:<agent> (hash) · agents (set) · r:<q>:<via> (zset: ready agents, policy score)
 *   c:<call> (hash) · q:<q> (zset: waiting calls, queue score) · st:<agent> (zset: calls held for it)
 *   ic:<instance> (zset: calls owned) · leases (zset: instance -> expiry ms) · in:<instance> (list: offers, JSON)
 *   last:<caller> (string "<agent>|<ended at ms>": who served them last and when; 90 days) · seq (hash: counters) · events (stream)
 *   dl (zset: agent -> wrap-up end ms) · regdl (zset: agent -> registration expiry ms): deadlines any instance ends
 *   qn (hash: retired queue -> calls it still holds)
 *   agent hash fields beyond the state: skills (json, for configure), wrapUntil, regUntil, unreach ('1': no live seat)
 */
export function keyPrefix(hotlineId: string): string {
  return `acd:{${hotlineId}}:`;
}
