import type { MediaLeg } from '../media/leg.js';

/**
 * The silent-call script (hotline standard §2) on the caller's leg: say "您好,电话已接通,请讲"; if there is no
 * voice for `silenceSec`, say it once more; if there is still none for another `silenceSec`, say the goodbye line.
 * The caller of this function releases the call with disposition `silent` when it returns 'silent'.
 */
export interface SilentScriptPrompts {
  hello: readonly string[];
  goodbye: readonly string[];
}

export type SilentOutcome = 'voice' | 'silent';

export const LISTEN_SLICE_MS = 1000;

export async function runSilentScript(
  callerLeg: MediaLeg,
  prompts: SilentScriptPrompts,
  silenceSec: number,
  /** True once the script must stop (the agent left, the call moved on): it then ends as if voice was heard. */
  aborted: () => boolean = () => false,
  /** Times the hello is said before the goodbye (the standard: twice, i.e. once more after the first). */
  hellos = 2,
): Promise<SilentOutcome> {
  for (let i = 0; i < hellos; i++) {
    if (aborted()) return 'voice';
    await callerLeg.play(prompts.hello);
    if (aborted()) return 'voice';
    // Listen in slices: FreeSWITCH's detect_audio ignores uuid_break, so a short slice is what lets the script
    // stop within a second when the agent leaves.
    for (let left = silenceSec * 1000; left > 0; left -= LISTEN_SLICE_MS) {
      if (aborted()) return 'voice';
      if (await callerLeg.waitForVoice(Math.min(LISTEN_SLICE_MS, left))) return 'voice';
    }
  }
  if (aborted()) return 'voice';
  await callerLeg.play(prompts.goodbye);
  return aborted() ? 'voice' : 'silent';
}
