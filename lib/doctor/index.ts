// checkHost(): everything a box depends on, checked in order (`coop doctor`).
import { coopHome as defaultHome } from '../paths.js';
import { cgroupCheck, coopHomeCheck, idChecks, kernelCheck, networkToolsCheck, userNamespaceSwitches, type HostCheck } from './checks.js';
import { boxProbe, daemonCheck, overlayProbe, userNamespaceProbe } from './probes.js';

export type { CheckStatus, HostCheck } from './checks.js';

export interface CheckHostOptions {
  /** State directory (default $COOP_HOME or ~/.coop). */
  coopHome?: string;
  /** The caller's environment: PATH (for the tools) and COOP_HOME. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Start one box at the end and time it (default true). */
  startBox?: boolean;
}

/** Runs every check; a failing user namespace skips the probes that need one. */
export async function checkHost(opts: CheckHostOptions = {}): Promise<HostCheck[]> {
  const env = opts.env ?? process.env;
  const home = opts.coopHome ?? defaultHome(env);
  const out: HostCheck[] = [kernelCheck(), ...userNamespaceSwitches()];
  const userns = await userNamespaceProbe();
  out.push(userns, ...idChecks(env));
  const homeOk = coopHomeCheck(home);
  out.push(homeOk);
  const skip = userns.status === 'failing' ? 'user namespaces cannot be created (above)' : homeOk.status === 'failing' ? '$COOP_HOME is not usable (above)' : null;
  out.push(skip ? { name: 'overlayfs', status: 'failing', message: `not tried: ${skip}` } : await overlayProbe(home));
  out.push(networkToolsCheck(env), cgroupCheck(), await daemonCheck(home, env));
  if (opts.startBox !== false) out.push(skip ? { name: 'box', status: 'failing', message: `not tried: ${skip}` } : await boxProbe(home));
  return out;
}
