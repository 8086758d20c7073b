import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { combineLoops, loopReading, sampleLoop, summarise } from '../../src/bench/loop-sampler.js';

const PAGE = [
  '# HELP hotline_event_loop_utilization x',
  '# TYPE hotline_event_loop_utilization gauge',
  'hotline_event_loop_utilization 0.87',
  'hotline_nodejs_eventloop_lag_p99_seconds 0.045',
  'hotline_nodejs_eventloop_lag_p99_seconds_other 9',
  '',
].join('\n');

describe('the load bench reads the app event loop off /metrics', () => {
  it('picks the two gauges by exact name', () => {
    expect(loopReading(PAGE)).toEqual({ busy: 0.87, lagP99Sec: 0.045 });
    expect(loopReading('nothing here 1')).toEqual({});
  });

  it("reads the media servers' control lag as the slowest server's, summarised as mean and worst in ms", () => {
    const page = `${PAGE}hotline_media_server_control_lag_seconds{server="127.0.0.1:8021"} 0.12\nhotline_media_server_control_lag_seconds{server="127.0.0.1:8023"} 0.4\n`;
    expect(loopReading(page)).toEqual({ busy: 0.87, lagP99Sec: 0.045, mediaLagSec: 0.4 });
    // NaN (no ping answered yet) is no reading.
    expect(loopReading(`${PAGE}hotline_media_server_control_lag_seconds{server="a"} NaN\n`)).toEqual({ busy: 0.87, lagP99Sec: 0.045 });
    expect(summarise([{ busy: 0.5, mediaLagSec: 0.1 }, { busy: 0.6, mediaLagSec: 0.5 }, { busy: 0.6 }])).toMatchObject({ mediaLagMeanMs: 300, mediaLagMaxMs: 500 });
    const a = { samples: 1, busyMean: 0.3, busyMax: 0.9, lagP99MaxMs: 20, mediaLagMeanMs: 40, mediaLagMaxMs: 900 };
    const b = { samples: 1, busyMean: 0.5, busyMax: 0.6, lagP99MaxMs: 70, mediaLagMeanMs: 60, mediaLagMaxMs: 100 };
    expect(combineLoops([a, b])).toMatchObject({ mediaLagMeanMs: 60, mediaLagMaxMs: 900 });
  });

  it('summarises mean and max utilisation and the worst lag; nothing read is no summary', () => {
    expect(summarise([{ busy: 0.5, lagP99Sec: 0.01 }, { busy: 0.9, lagP99Sec: 0.2 }, {}])).toEqual({ samples: 2, busyMean: 0.7, busyMax: 0.9, lagP99MaxMs: 200 });
    expect(summarise([{}])).toBeUndefined();
  });

  it('several instances report the busiest one: the worst mean, max and lag, the readings summed', () => {
    const a = { samples: 10, busyMean: 0.3, busyMax: 0.9, lagP99MaxMs: 20 };
    const b = { samples: 9, busyMean: 0.5, busyMax: 0.6, lagP99MaxMs: 70 };
    expect(combineLoops([a, b])).toEqual({ samples: 19, busyMean: 0.5, busyMax: 0.9, lagP99MaxMs: 70, instances: 2 });
    // One instance as it was (no instance count); one of two silent still counts two; none answering is nothing.
    expect(combineLoops([a])).toEqual(a);
    expect(combineLoops([undefined, b])).toEqual({ ...b, instances: 2 });
    expect(combineLoops([undefined, undefined])).toBeUndefined();
  });

  it('polls a live /metrics until stopped', async () => {
    let busy = 0.4;
    const server = createServer((_req, res) => {
      res.end(`hotline_event_loop_utilization ${busy}\nhotline_nodejs_eventloop_lag_p99_seconds 0.012\n`);
      busy = 0.8;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as AddressInfo;
      const s = sampleLoop(`http://127.0.0.1:${port}/metrics`, 20);
      await new Promise((r) => setTimeout(r, 150));
      const got = await s.stop();
      expect(got?.samples).toBeGreaterThanOrEqual(2);
      expect(got?.busyMax).toBe(0.8);
      expect(got?.lagP99MaxMs).toBe(12);
    } finally {
      server.close();
    }
  });
});
