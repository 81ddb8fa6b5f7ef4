/**
 * A container's default seccomp filter: the Docker/Moby-format profile that Debian's
 * golang-github-containers-common ships, turned into the OCI runtime spec's `linux.seccomp`
 * object (what runc and crun read in `config.json`) for one host architecture, kernel and
 * capability set, the way Docker resolves it.
 */
import { readFile } from 'node:fs/promises';
import { constants as osConstants, endianness, release } from 'node:os';

/** Where golang-github-containers-common installs its profile. */
export const DEFAULT_SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

const ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;

const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;

/** What the kernel does with a matching syscall (libseccomp's names). */
export type SeccompAction = (typeof ACTIONS)[number];

/** How a syscall argument is compared with a rule's value. */
export type SeccompOperator = (typeof OPERATORS)[number];

/** A condition on one syscall argument; `valueTwo` is the mask's operand for `SCMP_CMP_MASKED_EQ`. */
export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

/** One rule of the filter: these syscalls, when every arg condition holds, get `action`. */
export interface OciSeccompRule {
  names: string[];
  action: SeccompAction;
  /** The errno returned for `SCMP_ACT_ERRNO` (and the trace message for `SCMP_ACT_TRACE`). */
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** The OCI runtime spec's `linux.seccomp`. */
export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** The host's architecture and the ones it can also run (e.g. x86 and x32 on x86-64); empty means native only. */
  architectures: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: OciSeccompRule[];
}

/** An architecture as libseccomp names it and as profiles' `includes.arches` name it (Go's GOARCH). */
interface ArchNames {
  seccomp: string;
  profile: string[];
}

/** Keyed by Node's `process.arch`, with Go's names as aliases. */
const ARCHITECTURES: Record<string, ArchNames> = {
  x64: { seccomp: 'SCMP_ARCH_X86_64', profile: ['amd64'] },
  amd64: { seccomp: 'SCMP_ARCH_X86_64', profile: ['amd64'] },
  // Go calls it 386; Moby-derived profiles write x86.
  ia32: { seccomp: 'SCMP_ARCH_X86', profile: ['386', 'x86'] },
  '386': { seccomp: 'SCMP_ARCH_X86', profile: ['386', 'x86'] },
  arm64: { seccomp: 'SCMP_ARCH_AARCH64', profile: ['arm64'] },
  arm: { seccomp: 'SCMP_ARCH_ARM', profile: ['arm'] },
  ppc64: { seccomp: 'SCMP_ARCH_PPC64', profile: ['ppc64'] },
  ppc64le: { seccomp: 'SCMP_ARCH_PPC64LE', profile: ['ppc64le'] },
  s390x: { seccomp: 'SCMP_ARCH_S390X', profile: ['s390x'] },
  riscv64: { seccomp: 'SCMP_ARCH_RISCV64', profile: ['riscv64'] },
  mips64el: { seccomp: 'SCMP_ARCH_MIPSEL64', profile: ['mips64le'] },
  mips64le: { seccomp: 'SCMP_ARCH_MIPSEL64', profile: ['mips64le'] },
  loong64: { seccomp: 'SCMP_ARCH_LOONGARCH64', profile: ['loong64'] },
};

/** Node says ppc64 for both byte orders; the filter has to know which. */
function hostArch(): string {
  return process.arch === 'ppc64' && endianness() === 'LE' ? 'ppc64le' : process.arch;
}

function archNames(arch: string): ArchNames {
  const names = ARCHITECTURES[arch];
  if (!names) throw new Error(`seccomp: architecture "${arch}" is not supported (known: ${Object.keys(ARCHITECTURES).join(', ')})`);
  return names;
}

/** Thrown for a profile that is not what the format allows; `where` is the JSON path of the fault. */
function invalid(where: string, problem: string): Error {
  return new Error(`seccomp profile: ${where} ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional field: undefined and null both mean absent, as Go's JSON decoding reads them. */
function optional(value: unknown): boolean {
  return value === undefined || value === null;
}

function stringList(value: unknown, where: string): string[] {
  if (optional(value)) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalid(where, 'must be a list of strings');
  return [...value];
}

function action(value: unknown, where: string): SeccompAction {
  const known: readonly unknown[] = ACTIONS;
  if (!known.includes(value)) throw invalid(where, `must be one of ${ACTIONS.join(', ')} (got ${JSON.stringify(value)})`);
  return value as SeccompAction;
}

function unsigned(value: unknown, where: string): number {
  // Numbers past 2^53 have already lost digits in JSON.parse; refuse them rather than filter on a rounded value.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(where, `must be a non-negative integer (got ${JSON.stringify(value)})`);
  return value;
}

/** `errnoRet`, else the errno named by containers-common's `errno` field (e.g. "EPERM"), else undefined. */
function errnoReturn(number: unknown, name: unknown, numberField: string, nameField: string): number | undefined {
  if (!optional(number)) return unsigned(number, numberField);
  if (optional(name) || name === '') return undefined;
  const errnos: Record<string, number> = osConstants.errno;
  if (typeof name !== 'string' || !Object.hasOwn(errnos, name)) throw invalid(nameField, `is not a known errno name (got ${JSON.stringify(name)})`);
  return errnos[name];
}

function argument(value: unknown, where: string): OciSeccompArg {
  if (!isObject(value)) throw invalid(where, 'must be an object');
  const known: readonly unknown[] = OPERATORS;
  if (!known.includes(value.op)) throw invalid(`${where}.op`, `must be one of ${OPERATORS.join(', ')} (got ${JSON.stringify(value.op)})`);
  const index = unsigned(value.index, `${where}.index`);
  if (index > 5) throw invalid(`${where}.index`, `must be 0 to 5, a syscall has six arguments (got ${index})`);
  const compared = unsigned(value.value, `${where}.value`);
  const op = value.op as SeccompOperator;
  if (optional(value.valueTwo)) return { index, value: compared, op };
  return { index, value: compared, valueTwo: unsigned(value.valueTwo, `${where}.valueTwo`), op };
}

/** Kernel versions compare on major.minor only, as profiles' `minKernel` gives them. */
function kernelVersion(text: string, where: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(text);
  if (!match) throw new Error(`${where} "${text}" is not a kernel version like 5.8`);
  return [Number(match[1]), Number(match[2])];
}

function atLeast([major, minor]: [number, number], [wantMajor, wantMinor]: [number, number]): boolean {
  return major !== wantMajor ? major > wantMajor : minor >= wantMinor;
}

/** Whether a rule's `includes`/`excludes` let it into the filter for this container. */
interface RuleContext {
  capabilities: Set<string>;
  arches: string[];
  kernel: [number, number];
}

/** The rule at `syscalls[index]` for this container, or undefined when its conditions leave it out. */
function convertRule(value: unknown, index: number, context: RuleContext): OciSeccompRule | undefined {
  const where = `syscalls[${index}]`;
  if (!isObject(value)) throw invalid(where, 'must be an object');
  const names = stringList(value.names, `${where}.names`);
  // Old profiles name a single syscall in `name`.
  if (!optional(value.name)) {
    if (typeof value.name !== 'string') throw invalid(`${where}.name`, 'must be a string');
    if (names.length > 0) throw invalid(where, 'has both "name" and "names"; use "names"');
    names.push(value.name);
  }
  if (names.length === 0) throw invalid(`${where}.names`, 'must name at least one syscall');
  const rule: OciSeccompRule = { names, action: action(value.action, `${where}.action`) };
  const errnoRet = errnoReturn(value.errnoRet, value.errno, `${where}.errnoRet`, `${where}.errno`);
  if (errnoRet !== undefined) rule.errnoRet = errnoRet;
  if (!optional(value.args)) {
    if (!Array.isArray(value.args)) throw invalid(`${where}.args`, 'must be a list');
    const args = value.args.map((arg, i) => argument(arg, `${where}.args[${i}]`));
    if (args.length > 0) rule.args = args;
  }

  const includes = optional(value.includes) ? {} : value.includes;
  const excludes = optional(value.excludes) ? {} : value.excludes;
  if (!isObject(includes)) throw invalid(`${where}.includes`, 'must be an object');
  if (!isObject(excludes)) throw invalid(`${where}.excludes`, 'must be an object');
  const includedArches = stringList(includes.arches, `${where}.includes.arches`);
  const includedCaps = stringList(includes.caps, `${where}.includes.caps`);
  const excludedArches = stringList(excludes.arches, `${where}.excludes.arches`);
  const excludedCaps = stringList(excludes.caps, `${where}.excludes.caps`);
  let minKernel: [number, number] | undefined;
  if (!optional(includes.minKernel) && includes.minKernel !== '') {
    if (typeof includes.minKernel !== 'string') throw invalid(`${where}.includes.minKernel`, 'must be a string like "5.8"');
    minKernel = kernelVersion(includes.minKernel, `seccomp profile: ${where}.includes.minKernel`);
  }

  // Validated whole first, so a broken rule is reported even when it would not apply here.
  const onArch = (arches: string[]) => arches.some((arch) => context.arches.includes(arch));
  if (excludedArches.length > 0 && onArch(excludedArches)) return undefined;
  if (includedArches.length > 0 && !onArch(includedArches)) return undefined;
  if (excludedCaps.some((cap) => context.capabilities.has(cap))) return undefined;
  if (!includedCaps.every((cap) => context.capabilities.has(cap))) return undefined;
  if (minKernel && !atLeast(context.kernel, minKernel)) return undefined;
  return rule;
}

/** `architectures` listed directly, or the host's `archMap` entry and its sub-architectures. */
function architectures(profile: Record<string, unknown>, seccompArch: string): string[] {
  const listed = stringList(profile.architectures, 'architectures');
  if (optional(profile.archMap)) return listed;
  if (!Array.isArray(profile.archMap)) throw invalid('archMap', 'must be a list');
  if (listed.length > 0) throw invalid('', 'gives both "architectures" and "archMap"; use one');
  const found: string[] = [];
  profile.archMap.forEach((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry.architecture !== 'string') throw invalid(`archMap[${i}]`, 'must be an object with an "architecture" string');
    const subArchitectures = stringList(entry.subArchitectures, `archMap[${i}].subArchitectures`);
    if (entry.architecture === seccompArch) found.push(entry.architecture, ...subArchitectures);
  });
  return found;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (optional(value) || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(where, 'must be a string');
  return value;
}

/**
 * The OCI `linux.seccomp` object for a Docker/Moby-format seccomp profile, resolved the way
 * Docker does for one container: the host's `archMap` entry with its sub-architectures, and
 * only the rules whose `includes` all hold (every capability held, the architecture listed,
 * the kernel at least `minKernel`) and whose `excludes` do not (no listed capability held, the
 * architecture not listed). Comments and errno names are dropped. Throws an Error naming the
 * faulty field when the profile is malformed.
 *
 * `arch` is Node's `process.arch` name (the default) or Go's; `kernel` is an `os.release()`
 * string; `capabilities` are the container's, named like `CAP_SYS_ADMIN`.
 *
 * @example
 * const seccomp = convertDockerSeccomp(JSON.parse(text), { capabilities: ['CAP_CHOWN', 'CAP_KILL'] });
 * config.linux.seccomp = seccomp; // { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', …], syscalls: […] }
 */
export function convertDockerSeccomp(profile: unknown, options: { capabilities: string[]; arch?: string; kernel?: string }): OciSeccomp {
  if (!isObject(profile)) throw invalid('top level', 'must be a JSON object');
  const arch = archNames(options.arch ?? hostArch());
  const context: RuleContext = {
    capabilities: new Set(options.capabilities),
    arches: arch.profile,
    kernel: kernelVersion(options.kernel ?? release(), 'seccomp: kernel release'),
  };
  const seccomp: OciSeccomp = { defaultAction: action(profile.defaultAction, 'defaultAction'), architectures: architectures(profile, arch.seccomp), syscalls: [] };
  const defaultErrnoRet = errnoReturn(profile.defaultErrnoRet, profile.defaultErrno, 'defaultErrnoRet', 'defaultErrno');
  if (defaultErrnoRet !== undefined) seccomp.defaultErrnoRet = defaultErrnoRet;
  const flags = stringList(profile.flags, 'flags');
  if (flags.length > 0) seccomp.flags = flags;
  const listenerPath = optionalString(profile.listenerPath, 'listenerPath');
  if (listenerPath !== undefined) seccomp.listenerPath = listenerPath;
  const listenerMetadata = optionalString(profile.listenerMetadata, 'listenerMetadata');
  if (listenerMetadata !== undefined) seccomp.listenerMetadata = listenerMetadata;
  if (!optional(profile.syscalls) && !Array.isArray(profile.syscalls)) throw invalid('syscalls', 'must be a list');
  const rules: unknown[] = Array.isArray(profile.syscalls) ? profile.syscalls : [];
  rules.forEach((rule, index) => {
    const converted = convertRule(rule, index, context);
    if (converted) seccomp.syscalls.push(converted);
  });
  return seccomp;
}

/** Parsed profiles by path: read once per process, converted per container. */
/**
 * System calls that Docker's own default profile allows only to containers holding a capability.
 * Debian's profile (Podman's) allows them all unconditionally, so a container without
 * CAP_SYS_ADMIN could still `unshare` a user namespace and `mount` in it; nocker takes them
 * back out unless the capability is held. The key management calls are refused to everyone, as
 * Docker does: keyrings are not namespaced.
 */
export const CAPABILITY_GATED_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  CAP_SYS_ADMIN: ['bpf', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_tree', 'perf_event_open', 'pivot_root', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'umount', 'umount2', 'unshare'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'adjtimex', 'clock_adjtime', 'clock_adjtime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYSLOG: ['syslog'],
};
const NEVER_ALLOWED = ['add_key', 'keyctl', 'request_key'];

/**
 * `profile` without the allow rules for the system calls whose capability is not held (see
 * {@link CAPABILITY_GATED_SYSCALLS}): those it allowed now fail with EPERM.
 *
 * @example
 * gateByCapabilities(profile, ['CAP_CHOWN']).syscalls.some((r) => r.names.includes('mount')); // false
 */
export function gateByCapabilities(profile: OciSeccomp, capabilities: readonly string[]): OciSeccomp {
  const removed = new Set(NEVER_ALLOWED);
  for (const [capability, names] of Object.entries(CAPABILITY_GATED_SYSCALLS)) if (!capabilities.includes(capability)) for (const name of names) removed.add(name);
  const taken = new Set<string>();
  const syscalls = profile.syscalls
    .map((rule) => {
      if (rule.action !== 'SCMP_ACT_ALLOW') return rule;
      for (const name of rule.names) if (removed.has(name)) taken.add(name);
      return { ...rule, names: rule.names.filter((name) => !removed.has(name)) };
    })
    .filter((rule) => rule.names.length > 0);
  // EPERM, as Docker answers: the profile's default (ENOSYS) would tell programs the call does not exist.
  if (taken.size > 0) syscalls.push({ names: [...taken].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  return { ...profile, syscalls };
}

const parsedProfiles = new Map<string, Promise<unknown>>();

async function readProfile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`the default seccomp profile ${path} is missing: it comes with Debian's golang-github-containers-common package (apt-get install golang-github-containers-common)`);
    }
    throw new Error(`cannot read seccomp profile ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The default seccomp filter for a container holding `capabilities`, from the profile at
 * `path` (by default containers-common's) for this host's architecture and kernel, gated by
 * capability as Docker's own profile is (see {@link gateByCapabilities}). The file
 * is read and parsed once per path; a failed read is retried next time. Throws when the file
 * is missing (saying which package provides it), unreadable, or not a valid profile.
 *
 * @example
 * const seccomp = await loadDefaultSeccomp(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
 * config.linux.seccomp = seccomp;
 */
export async function loadDefaultSeccomp(capabilities: string[], path = DEFAULT_SECCOMP_PROFILE): Promise<OciSeccomp> {
  let parsed = parsedProfiles.get(path);
  if (!parsed) {
    parsed = readProfile(path);
    parsedProfiles.set(path, parsed);
    // Forget failures, so that installing the package fixes a running process too.
    parsed.catch(() => parsedProfiles.delete(path));
  }
  const profile = await parsed;
  try {
    return gateByCapabilities(convertDockerSeccomp(profile, { capabilities }), capabilities);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}
