import { describe, expect, it } from 'vitest';
import { chooseServer, type ServerLoad } from '../../src/media/pool-chooser.js';

const s = (index: number, cpuIdle: number | undefined, sessions: number, backingOff = false): ServerLoad => ({ index, cpuIdle, sessions, backingOff });
const lag = (l: ServerLoad, controlLagMs: number): ServerLoad => ({ ...l, controlLagMs });
const pick = (loads: ServerLoad[]): number | undefined => chooseServer(loads)?.index;

describe('chooseServer: the least-loaded healthy media server', () => {
  it.each([
    ['none healthy', [], undefined],
    ['the only one', [s(0, 50, 10)], 0],
    ['more idle CPU wins across bands', [s(0, 55, 1), s(1, 85, 40)], 1],
    ['within one CPU band, fewer sessions win', [s(0, 81, 30), s(1, 88, 31), s(2, 84, 12)], 2],
    ['equal load: the lowest index (a stable order)', [s(1, 70, 5), s(0, 70, 5)], 0],
    ['an unknown CPU anywhere: sessions alone decide for all', [s(0, 95, 20), s(1, undefined, 3)], 1],
    ['unknown CPU, equal sessions: lowest index', [s(0, undefined, 0), s(1, undefined, 0)], 0],
    ['a server backing off after a failed set-up is passed over', [s(0, 99, 0, true), s(1, 20, 50)], 1],
    ['...unless every one is backing off', [s(0, 99, 0, true), s(1, 20, 50, true)], 0],
    ['a server slower to answer by a lag band ranks below, whatever its CPU', [lag(s(0, 99, 0), 300), lag(s(1, 30, 40), 40)], 1],
    ['within one lag band, CPU then sessions decide', [lag(s(0, 90, 5), 10), lag(s(1, 90, 2), 240)], 1],
    ['an unknown lag anywhere: lag left out for all', [lag(s(0, 90, 5), 900), s(1, 50, 0)], 0],
  ])('%s', (_name, loads, want) => {
    expect(pick(loads)).toBe(want);
  });

  it('does not depend on the order the servers are listed in', () => {
    const loads = [s(0, 72, 9), s(1, 79, 4), s(2, 64, 0), s(3, undefined, 2)];
    const withoutUnknown = loads.slice(0, 3);
    for (const list of [withoutUnknown, [...withoutUnknown].reverse(), [withoutUnknown[1]!, withoutUnknown[2]!, withoutUnknown[0]!]]) {
      expect(pick(list)).toBe(1);
    }
    for (const list of [loads, [...loads].reverse()]) expect(pick(list)).toBe(2);
  });
});
