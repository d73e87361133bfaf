// System and library messages that reach the screen inside an error (ssh2's "Connection lost before
// handshake", Docker's "Cannot connect to the Docker daemon", Node's ECONNRESET…) are English whatever
// the user's language. Known ones map to a translated text (`system.<id>`); the raw text stays available
// in a "details" fold. Pure and zod-free: the renderer and the CLI use the same table.

export interface SystemMessage {
  id: string;
  match: RegExp;
}

/** Ordered from the most specific; the first match wins. */
export const SYSTEM_MESSAGES: readonly SystemMessage[] = [
  // ssh2
  { id: 'ssh_handshake_lost', match: /Connection lost before handshake/i },
  { id: 'ssh_handshake_timeout', match: /Timed out while waiting for handshake/i },
  { id: 'ssh_auth_failed', match: /All configured authentication methods failed/i },
  { id: 'ssh_no_algorithm', match: /Handshake failed: no matching (?:key exchange|host key format|cipher|MAC)/i },
  { id: 'ssh_key_parse', match: /Cannot parse privateKey|Unsupported key format|Encrypted private OpenSSH key detected/i },
  { id: 'ssh_not_connected', match: /Not connected|No response from server/i },
  // Docker
  { id: 'docker_daemon', match: /Cannot connect to the Docker daemon/i },
  { id: 'docker_permission', match: /permission denied while trying to connect to the Docker daemon socket/i },
  { id: 'docker_missing', match: /docker: (?:command )?not found|exec: "docker": executable file not found/i },
  { id: 'compose_missing', match: /docker: 'compose' is not a docker command|unknown command "compose"/i },
  // Node / the network
  { id: 'dns_not_found', match: /getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|\bEAI_AGAIN\b/ },
  { id: 'connection_refused', match: /\bECONNREFUSED\b|Connection refused/i },
  { id: 'connection_reset', match: /\bECONNRESET\b|socket hang up|\bEPIPE\b/i },
  { id: 'network_unreachable', match: /\bENETUNREACH\b|\bEHOSTUNREACH\b|No route to host|Network is unreachable/i },
  { id: 'timed_out', match: /\bETIMEDOUT\b|\bTimeoutError\b|timed out|The operation was aborted due to timeout/i },
  { id: 'tls_untrusted', match: /self[- ]signed certificate|unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/i },
  { id: 'tls_expired', match: /certificate has expired|CERT_HAS_EXPIRED/i },
  { id: 'tls_name', match: /ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match certificate/i },
  // Files
  { id: 'permission_denied', match: /\bEACCES\b|Permission denied/i },
  { id: 'no_such_file', match: /\bENOENT\b|No such file or directory/i },
  { id: 'disk_full', match: /\bENOSPC\b|No space left on device/i },
  // sudo
  { id: 'sudo_password', match: /sudo: a (?:password|terminal) is required/i },
];

/** The translation key (`system.<id>`) of a known raw message, or null. */
export function systemMessageKey(raw: string): string | null {
  const hit = SYSTEM_MESSAGES.find((m) => m.match.test(raw));
  return hit ? `system.${hit.id}` : null;
}

/** Parameters that carry a raw system or library message rather than one of our values. */
export const RAW_PARAMS = ['reason', 'error', 'detail', 'message'] as const;
