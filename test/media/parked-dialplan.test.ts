import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parkedDialplanProblem } from '../../src/media/media-server.js';

// What FreeSWITCH 1.11 answered to `api xml_locate dialplan context name drachtio_mrf` with this repository's
// freeswitch-conf (trimmed), and what it answers for a context it does not have.
const LOCATED = `<context name="drachtio_mrf">
      <extension name="hotline_parked">
          <condition field="\${sip_h_X-Hotline-Park}" expression="^1$">
              <action application="park"></action>
      </condition>
    </extension>
      <extension name="drachtio_fsmrf">
          <condition field="\${sip_user_agent}" expression="^drachtio-fsmrf:(.*)$">
              <action application="socket" data="\${sip_h_X-esl-outbound} async full"></action>
      </condition>
    </extension>
  </context>`;

describe('MEDIA_CONTROL=shared start-up check of the FreeSWITCH dialplan', () => {
  it('passes the context FreeSWITCH locates with this repository’s dialplan, and the file itself', () => {
    expect(parkedDialplanProblem(LOCATED)).toBeUndefined();
    expect(parkedDialplanProblem(readFileSync('freeswitch-conf/dialplan/drachtio_mrf.xml', 'utf8'))).toBeUndefined();
  });

  it('names the missing extension, or the missing context, in one line with the way out', () => {
    const old = LOCATED.replace(/<extension name="hotline_parked">[\s\S]*?<\/extension>/, '');
    expect(parkedDialplanProblem(old)).toMatch(/^MEDIA_CONTROL=shared needs the hotline_parked extension .* or set MEDIA_CONTROL=socket\)$/);
    expect(parkedDialplanProblem('-ERR no answer')).toMatch(/needs the drachtio_mrf dialplan context/);
    expect(parkedDialplanProblem('')).not.toContain('\n');
  });
});
