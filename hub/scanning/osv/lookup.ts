/**
 * The key under which the vulnerability database indexes OSV records by package, and under which
 * the matcher looks them up: the ecosystem without its release, and the name in the form the
 * ecosystem compares names in. Writers and readers share this one function, so that a record is
 * always found by the packages it names.
 */
import { ecosystemBase } from '../versions/index.ts';
import { normalizePypiName } from './match.ts';

export interface VulnerabilityLookupKey {
  /** `Debian` for `Debian:12`; `npm` for `npm`. */
  ecosystemBase: string;
  /** As the ecosystem compares it: PyPI in PEP 503 form, others exactly. */
  name: string;
}

/**
 * @example
 * vulnerabilityLookupKey('Debian:12', 'openssl'); // { ecosystemBase: 'Debian', name: 'openssl' }
 * vulnerabilityLookupKey('PyPI', 'Zope.Interface'); // { ecosystemBase: 'PyPI', name: 'zope-interface' }
 */
export function vulnerabilityLookupKey(ecosystem: string, name: string): VulnerabilityLookupKey {
  const base = ecosystemBase(ecosystem).trim();
  return { ecosystemBase: base, name: base.toLowerCase() === 'pypi' ? normalizePypiName(name) : name };
}
