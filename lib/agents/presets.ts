// Agent presets (SPEC §2): `agent = "claude" | "codex" | "aider" | "gemini" | "opencode"`.
// For each, what makes it work in a box: the state it keeps under the home (persisted per
// box), the environment it reads (API keys, passed only when set in the caller's
// environment), variables that point it at its state, and how to install it.

export interface AgentPreset {
  /** The command, as written in coop.toml. */
  command: string;
  /** Its name for people. */
  title: string;
  /** How to install it on the host (shown when it is found nowhere). */
  install: string;
  /** Directories under the in-box home it keeps its state in (logins, settings, history). */
  state: string[];
  /** Variables passed from the caller's environment when set (API keys, endpoints). */
  env: string[];
  /** Variables it gets in every box, given the in-box home (its state directory). */
  fixedEnv?: (home: string) => Record<string, string>;
}

export const PRESETS: Record<string, AgentPreset> = {
  claude: {
    command: 'claude',
    title: 'Claude Code',
    install: 'npm install -g @anthropic-ai/claude-code',
    state: ['.claude'],
    env: [
      'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'CLAUDE_CODE_OAUTH_TOKEN',
      'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX',
    ],
    // Claude Code keeps ~/.claude.json (onboarding, trusted folders, approved key) beside
    // ~/.claude; with CLAUDE_CONFIG_DIR it keeps it inside, so one directory holds it all.
    fixedEnv: (home) => ({ CLAUDE_CONFIG_DIR: `${home}/.claude` }),
  },
  codex: {
    command: 'codex',
    title: 'Codex CLI',
    install: 'npm install -g @openai/codex',
    state: ['.codex'],
    env: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORGANIZATION', 'OPENAI_PROJECT'],
    fixedEnv: (home) => ({ CODEX_HOME: `${home}/.codex` }),
  },
  aider: {
    command: 'aider',
    title: 'Aider',
    install: 'pipx install aider-chat',
    state: ['.aider'],
    env: ['OPENAI_API_KEY', 'OPENAI_API_BASE', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY', 'DEEPSEEK_API_KEY', 'GROQ_API_KEY'],
  },
  gemini: {
    command: 'gemini',
    title: 'Gemini CLI',
    install: 'npm install -g @google/gemini-cli',
    state: ['.gemini'],
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_GENAI_USE_VERTEXAI'],
  },
  opencode: {
    command: 'opencode',
    title: 'opencode',
    install: 'npm install -g opencode-ai',
    state: ['.local/share/opencode', '.config/opencode'],
    env: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY'],
  },
};

/** The preset an agent command line names (its first word, a bare command), if any. */
export function presetFor(argv: string[] | null): AgentPreset | null {
  const cmd = argv?.[0];
  return cmd && Object.prototype.hasOwnProperty.call(PRESETS, cmd) ? PRESETS[cmd]! : null;
}
