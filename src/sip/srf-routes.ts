import type Srf from 'drachtio-srf';

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/**
 * drachtio-srf routes requests with `srf.register(fn)`, `srf.options(fn)`, ... (srf.on('register') is only an
 * EventEmitter listener and never fires). Its types miss most of these methods; this is the one typed door.
 */
export function onRequest(srf: Srf, method: 'register' | 'options' | 'invite' | 'message' | 'subscribe', fn: Handler): void {
  const routes = srf as unknown as Record<typeof method, (h: Handler) => void>;
  routes[method].call(srf, fn);
}
