// The box environment, built from scratch (SPEC §4.1): never inherited from the daemon
// or the caller beyond TERM and LANG.

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BoxEnvInput {
  user: string;
  home: string;
  shell: string;
  /** The client's TERM; default xterm-256color. */
  term?: string;
  /** The caller's LANG, if set. */
  lang?: string;
  box: string;
  workspaceHost: string;
  created: number;
  /** `[env]` of coop.toml, already expanded; wins over everything above. */
  extra: Record<string, string>;
}

export function boxEnv(i: BoxEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOME: i.home,
    USER: i.user,
    LOGNAME: i.user,
    SHELL: i.shell,
    TERM: i.term || 'xterm-256color',
  };
  if (i.lang) env.LANG = i.lang;
  env.IS_SANDBOX = '1';
  env.COOP_SESSION = i.box;
  env.COOP_WORKSPACE = i.workspaceHost;
  env.COOP_CREATED = String(i.created);
  return { ...env, ...i.extra };
}

/** The in-box home of the account (root's is /root). */
export const homeOf = (user: string) => (user === 'root' ? '/root' : `/home/${user}`);
