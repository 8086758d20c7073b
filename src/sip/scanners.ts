/**
 * User-agents of SIP scanners and toll-fraud tools (SIPVicious "friendly-scanner", sipcli, sundayddr, ...). They
 * get a 403 without a challenge: answering them with 401 only invites the password-guessing that follows.
 */
const SCANNER_PATTERNS: readonly RegExp[] = [
  /friendly-?scanner/i,
  /sipvicious/i,
  /sip-?scan/i,
  /sipcli/i,
  /sipsak/i,
  /sundayddr/i,
  /iwar/i,
  /vaxsipuseragent/i,
  /pplsip/i,
  /smap/i,
  /sip-?pbx-?scanner/i,
  /voip-?scanner/i,
];

export function isScannerUserAgent(userAgent: string | undefined): boolean {
  if (!userAgent) return false;
  return SCANNER_PATTERNS.some((re) => re.test(userAgent));
}
