// `[sandbox] ca_certs` (SPEC §3): the CA bundle build steps and boxes trust, for networks
// whose TLS goes through an inspecting proxy. "host" is the host's system bundle (with
// the CAs its administrator added); a path is a PEM file holding every CA to trust. The
// bundle is bound read-only into boxes and copied into the rootfs for build steps, and
// the usual variables point the tools at it.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';

/** Where distributions keep their bundle. */
const HOST_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/** The bundle's path inside a box. */
export const BOX_CA_BUNDLE = '/run/coop/ca-certificates.crt';
/** Its path during build steps (a file of the rootfs being built, removed afterwards). */
export const BUILD_CA_FILE = 'coop-ca-certificates.crt';

/** Variables OpenSSL, curl, git, Node, Python requests and pip read a CA bundle from. */
export const CA_VARIABLES = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'PIP_CERT'];

/** The host file of a `ca_certs` setting; null for "". */
export function caBundleFile(setting: string): string | null {
  if (!setting) return null;
  if (setting === 'host') {
    const found = HOST_BUNDLES.find((p) => existsSync(p));
    if (!found) throw new CoopError('CONFIG_INVALID', `sandbox.ca_certs = "host": this machine has no CA bundle in ${HOST_BUNDLES.join(', ')}; give the bundle's path instead`);
    return realpathSync(found);
  }
  try {
    if (!statSync(setting).isFile()) throw new Error();
  } catch {
    throw new CoopError('CONFIG_INVALID', `sandbox.ca_certs: ${setting} is not a file; give a PEM bundle (or "host" for this machine's)`);
  }
  return realpathSync(setting);
}

export const caVariables = (path: string) => Object.fromEntries(CA_VARIABLES.map((v) => [v, path]));

/** The configuration with the bundle bound into the box and the variables set ([env] wins). */
export function withCaCerts(input: CoopConfig): CoopConfig {
  const file = caBundleFile(input.sandbox.ca_certs);
  if (!file) return input;
  const config = structuredClone(input);
  config.sandbox.mounts.push({ kind: 'path', host: file, box: BOX_CA_BUNDLE, readonly: true });
  config.env = { ...caVariables(BOX_CA_BUNDLE), ...config.env };
  return config;
}

/** The bundle's content for build steps, or null. */
export const caBundleText = (setting: string) => {
  const file = caBundleFile(setting);
  return file ? readFileSync(file, 'utf8') : null;
};
