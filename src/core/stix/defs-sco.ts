/**
 * The 18 STIX Cyber-observable Objects (§6) and their predefined extensions, as data.
 */
import type { Check, Ctx, ObjectDef } from './check.js'
import {
  atLeastOne,
  binary,
  bool,
  categories,
  clip,
  dict,
  en,
  exclusive,
  hashes,
  hex,
  int,
  isPlainObject,
  list,
  num,
  obj,
  order,
  ov,
  props,
  ref,
  string,
  stringOrList,
  ts,
  types,
} from './check.js'
import type { TypeDef } from './defs-common.js'
import { langTag, scoDef } from './defs-common.js'

const strings = list(string)
const hashesDict = hashes()
const emailAddr = ref(types('email-addr'))
const userAccount = ref(types('user-account'))
const artifact = ref(types('artifact'))
const networkTraffic = ref(types('network-traffic'))
const addressRef = ref(types('ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'))

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/(3[0-2]|[12]?\d))?$/

/** An IPv6 address (RFC 4291 text forms, `::` compression and a trailing IPv4 part), optionally in CIDR form. */
export function isIpv6(value: string): boolean {
  let s = value
  const slash = s.indexOf('/')
  if (slash >= 0) {
    const prefix = s.slice(slash + 1)
    if (!/^(12[0-8]|1[01]\d|[1-9]?\d)$/.test(prefix)) return false
    s = s.slice(0, slash)
  }
  let groups = 8
  const lastColon = s.lastIndexOf(':')
  if (lastColon >= 0 && s.indexOf('.', lastColon) > lastColon) {
    if (!IPV4.test(s.slice(lastColon + 1)) || s.slice(lastColon + 1).includes('/')) return false
    s = s.slice(0, lastColon + 1) + '0:0'
  }
  const dbl = s.indexOf('::')
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false
  const parts = (p: string): string[] | null => {
    if (p === '') return []
    const xs = p.split(':')
    return xs.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? xs : null
  }
  if (dbl >= 0) {
    const head = parts(s.slice(0, dbl))
    const tail = parts(s.slice(dbl + 2))
    return head !== null && tail !== null && head.length + tail.length < groups
  }
  const all = parts(s)
  groups = 8
  return all !== null && all.length === groups
}

const ipv4Value: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !IPV4.test(v)) ctx.error(`'${clip(v)}' is not an IPv4 address or CIDR block`)
}

const ipv6Value: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !isIpv6(v)) ctx.error(`'${clip(v)}' is not an IPv6 address or CIDR block`)
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/
const macValue: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !MAC.test(v)) ctx.error(`'${clip(v)}' is not a colon-delimited, lower-case MAC-48 address with leading zeros (e.g. d2:fb:49:24:37:18)`)
}

const protocols: Check = list((v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && v !== v.toLowerCase()) ctx.warn(`protocol names should be lower-case IANA service names, got '${clip(v)}'`)
})

const SOCKET_OPTION_PREFIXES = ['SO_', 'ICMP_', 'ICMP6_', 'IP_', 'IPV6_', 'MCAST_', 'TCP_', 'IRLMP_']
const socketOptions: Check = (v, ctx, depth) => {
  dict(int())(v, ctx, depth)
  if (!isPlainObject(v)) return
  for (const k of Object.keys(v)) {
    const prefix = k.slice(0, k.indexOf('_') + 1)
    if (!SOCKET_OPTION_PREFIXES.includes(prefix)) ctx.error(`socket option names start with one of ${SOCKET_OPTION_PREFIXES.join(', ')}`, k)
  }
}

const HIVE_ABBREVIATION = /^(HKLM|HKCU|HKCR|HKU|HKCC)(\\|$)/i
const registryKey: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  // A MUST in the spec, reported as a warning: MISP exports abbreviated hives and python-stix2 accepts them.
  if (typeof v === 'string' && HIVE_ABBREVIATION.test(v)) ctx.warn('the hive should be spelled out (e.g. HKEY_LOCAL_MACHINE, not HKLM), as STIX 2.1 requires')
}

const EMAIL_MIME_COMPONENT: ObjectDef = {
  name: 'email MIME component',
  props: props({ body: string, body_raw_ref: ref(types('artifact', 'file')), content_type: string, content_disposition: string }),
  required: [],
  rules: (o, ctx) => atLeastOne(o, ctx, ['body', 'body_raw_ref'], 'a MIME component needs body or body_raw_ref'),
}

const WINDOWS_REGISTRY_VALUE: ObjectDef = {
  name: 'windows registry value',
  props: props({ name: string, data: string, data_type: en('windows-registry-datatype-enum') }),
  required: [],
  nonEmpty: true,
}

const X509_V3_EXTENSIONS: ObjectDef = {
  name: 'X.509 v3 extensions',
  props: props({
    basic_constraints: string,
    name_constraints: string,
    policy_constraints: string,
    key_usage: string,
    extended_key_usage: string,
    subject_key_identifier: string,
    authority_key_identifier: string,
    subject_alternative_name: string,
    issuer_alternative_name: string,
    subject_directory_attributes: string,
    crl_distribution_points: string,
    inhibit_any_policy: string,
    private_key_usage_period_not_before: ts(),
    private_key_usage_period_not_after: ts(),
    certificate_policies: string,
    policy_mappings: string,
  }),
  required: [],
  nonEmpty: true,
}

const ALTERNATE_DATA_STREAM: ObjectDef = {
  name: 'alternate data stream',
  props: props({ name: string, hashes: hashesDict, size: int(0) }),
  required: ['name'],
}

const PE_OPTIONAL_HEADER: ObjectDef = {
  name: 'windows PE optional header',
  props: props({
    magic_hex: hex,
    major_linker_version: int(),
    minor_linker_version: int(),
    size_of_code: int(0),
    size_of_initialized_data: int(0),
    size_of_uninitialized_data: int(0),
    address_of_entry_point: int(),
    base_of_code: int(),
    base_of_data: int(),
    image_base: int(),
    section_alignment: int(),
    file_alignment: int(),
    major_os_version: int(),
    minor_os_version: int(),
    major_image_version: int(),
    minor_image_version: int(),
    major_subsystem_version: int(),
    minor_subsystem_version: int(),
    win32_version_value_hex: hex,
    size_of_image: int(0),
    size_of_headers: int(0),
    checksum_hex: hex,
    subsystem_hex: hex,
    dll_characteristics_hex: hex,
    size_of_stack_reserve: int(0),
    size_of_stack_commit: int(0),
    size_of_heap_reserve: int(),
    size_of_heap_commit: int(),
    loader_flags_hex: hex,
    number_of_rva_and_sizes: int(),
    hashes: hashesDict,
  }),
  required: [],
  nonEmpty: true,
}

const PE_SECTION: ObjectDef = {
  name: 'windows PE section',
  props: props({ name: string, size: int(0), entropy: num(), hashes: hashesDict }),
  required: ['name'],
}

/** The predefined SCO extensions (§6.x.2 of each SCO), keyed by extension name. */
export const EXTENSION_DEFS: ReadonlyMap<string, ObjectDef> = new Map<string, ObjectDef>([
  ['archive-ext', { name: 'archive-ext', props: props({ contains_refs: list(ref(types('file', 'directory'))), comment: string }), required: ['contains_refs'], nonEmpty: true }],
  [
    'ntfs-ext',
    { name: 'ntfs-ext', props: props({ sid: string, alternate_data_streams: list(obj(ALTERNATE_DATA_STREAM)) }), required: [], nonEmpty: true },
  ],
  [
    'pdf-ext',
    {
      name: 'pdf-ext',
      props: props({ version: string, is_optimized: bool, document_info_dict: dict(string), pdfid0: string, pdfid1: string }),
      required: [],
      nonEmpty: true,
    },
  ],
  [
    'raster-image-ext',
    {
      name: 'raster-image-ext',
      props: props({
        image_height: int(),
        image_width: int(),
        bits_per_pixel: int(),
        exif_tags: dict((v, ctx, depth) => (typeof v === 'number' ? int()(v, ctx, depth) : string(v, ctx, depth))),
      }),
      required: [],
      nonEmpty: true,
    },
  ],
  [
    'windows-pebinary-ext',
    {
      name: 'windows-pebinary-ext',
      props: props({
        pe_type: ov('windows-pebinary-type-ov'),
        imphash: string,
        machine_hex: hex,
        number_of_sections: int(0),
        time_date_stamp: ts(),
        pointer_to_symbol_table_hex: hex,
        number_of_symbols: int(0),
        size_of_optional_header: int(0),
        characteristics_hex: hex,
        file_header_hashes: hashesDict,
        optional_header: obj(PE_OPTIONAL_HEADER),
        sections: list(obj(PE_SECTION)),
      }),
      required: ['pe_type'],
      rules: (o, ctx) => {
        if (Object.keys(o).every((k) => k === 'pe_type')) ctx.error('windows-pebinary-ext needs at least one property besides pe_type')
      },
    },
  ],
  [
    'http-request-ext',
    {
      name: 'http-request-ext',
      props: props({
        request_method: string,
        request_value: string,
        request_version: string,
        request_header: dict(stringOrList()),
        message_body_length: int(0),
        message_body_data_ref: artifact,
      }),
      required: ['request_method', 'request_value'],
      nonEmpty: true,
    },
  ],
  ['icmp-ext', { name: 'icmp-ext', props: props({ icmp_type_hex: hex, icmp_code_hex: hex }), required: ['icmp_type_hex', 'icmp_code_hex'], nonEmpty: true }],
  [
    'socket-ext',
    {
      name: 'socket-ext',
      props: props({
        address_family: en('network-socket-address-family-enum'),
        is_blocking: bool,
        is_listening: bool,
        options: socketOptions,
        socket_type: en('network-socket-type-enum'),
        socket_descriptor: int(0),
        socket_handle: int(),
      }),
      required: ['address_family'],
      nonEmpty: true,
    },
  ],
  ['tcp-ext', { name: 'tcp-ext', props: props({ src_flags_hex: hex, dst_flags_hex: hex }), required: [], nonEmpty: true }],
  [
    'windows-process-ext',
    {
      name: 'windows-process-ext',
      props: props({
        aslr_enabled: bool,
        dep_enabled: bool,
        priority: string,
        owner_sid: string,
        window_title: string,
        startup_info: dict(),
        integrity_level: en('windows-integrity-level-enum'),
      }),
      required: [],
      nonEmpty: true,
    },
  ],
  [
    'windows-service-ext',
    {
      name: 'windows-service-ext',
      props: props({
        service_name: string,
        descriptions: strings,
        display_name: string,
        group_name: string,
        start_type: en('windows-service-start-type-enum'),
        service_dll_refs: list(ref(types('file'))),
        service_type: en('windows-service-type-enum'),
        service_status: en('windows-service-status-enum'),
      }),
      required: [],
      nonEmpty: true,
    },
  ],
  [
    'unix-account-ext',
    { name: 'unix-account-ext', props: props({ gid: int(), groups: strings, home_dir: string, shell: string }), required: [], nonEmpty: true },
  ],
])

/** Properties that do not count towards "at least one property" on process and x509-certificate. */
const BOOKKEEPING = new Set(['type', 'id', 'spec_version', 'object_marking_refs', 'granular_markings', 'defanged'])

function hasContent(o: Record<string, unknown>): boolean {
  for (const k of Object.keys(o)) if (!BOOKKEEPING.has(k)) return true
  return false
}

function emailRules(o: Record<string, unknown>, ctx: Ctx): void {
  if (o['is_multipart'] === true && Object.hasOwn(o, 'body')) ctx.error('body must not be present when is_multipart is true (use body_multipart)', 'body')
  if (o['is_multipart'] === false && Object.hasOwn(o, 'body_multipart')) ctx.error('body_multipart must not be present when is_multipart is false', 'body_multipart')
}

/**
 * Header name → list of values. The spec says each value MUST be a list; a single string is
 * accepted with a warning because MISP emits it and python-stix2 accepts it (interoperability).
 */
const headerValues = list(string)
const additionalHeaderFields: Check = dict((v, ctx, depth) => {
  if (typeof v === 'string') {
    string(v, ctx, depth)
    ctx.warn('header values should be a list of strings (STIX 2.1 requires a list even for one value)')
  } else headerValues(v, ctx, depth)
})

/** The STIX 2.1 SCO definitions. */
export const SCO_DEFS: readonly TypeDef[] = [
  scoDef(
    'artifact',
    {
      mime_type: string,
      payload_bin: binary,
      url: string,
      hashes: hashesDict,
      encryption_algorithm: en('encryption-algorithm-enum'),
      decryption_key: string,
    },
    [],
    (o, ctx) => {
      exclusive(o, ctx, 'payload_bin', 'url')
      if (Object.hasOwn(o, 'url') && !Object.hasOwn(o, 'hashes')) ctx.error('hashes is required when url is present', 'hashes')
      // A MUST NOT in the spec, reported as a warning: MISP sends zip passwords ("infected") this way and python-stix2 accepts it.
      if (Object.hasOwn(o, 'decryption_key') && !Object.hasOwn(o, 'encryption_algorithm')) ctx.warn('decryption_key should only be present with encryption_algorithm, as STIX 2.1 requires', 'decryption_key')
    },
  ),
  scoDef('autonomous-system', { number: int(0), name: string, rir: string }, ['number']),
  scoDef(
    'directory',
    { path: string, path_enc: string, ctime: ts(), mtime: ts(), atime: ts(), contains_refs: list(ref(types('file', 'directory'))) },
    ['path'],
  ),
  scoDef('domain-name', { value: string, resolves_to_refs: list(ref(types('ipv4-addr', 'ipv6-addr', 'domain-name'))) }, ['value']),
  scoDef('email-addr', { value: string, display_name: string, belongs_to_ref: userAccount }, ['value']),
  scoDef(
    'email-message',
    {
      is_multipart: bool,
      date: ts(),
      content_type: string,
      from_ref: emailAddr,
      sender_ref: emailAddr,
      to_refs: list(emailAddr),
      cc_refs: list(emailAddr),
      bcc_refs: list(emailAddr),
      message_id: string,
      subject: string,
      received_lines: strings,
      additional_header_fields: additionalHeaderFields,
      body: string,
      body_multipart: list(obj(EMAIL_MIME_COMPONENT)),
      raw_email_ref: artifact,
    },
    ['is_multipart'],
    emailRules,
  ),
  scoDef(
    'file',
    {
      hashes: hashesDict,
      size: int(0),
      name: string,
      name_enc: string,
      magic_number_hex: hex,
      mime_type: string,
      ctime: ts(),
      mtime: ts(),
      atime: ts(),
      parent_directory_ref: ref(types('directory')),
      contains_refs: list(ref(categories('an SCO', 'sco', 'custom'))),
      content_ref: artifact,
    },
    [],
    (o, ctx) => atLeastOne(o, ctx, ['hashes', 'name'], 'a file needs hashes or name'),
  ),
  scoDef(
    'ipv4-addr',
    { value: ipv4Value, resolves_to_refs: list(ref(types('mac-addr'))), belongs_to_refs: list(ref(types('autonomous-system'))) },
    ['value'],
  ),
  scoDef(
    'ipv6-addr',
    { value: ipv6Value, resolves_to_refs: list(ref(types('mac-addr'))), belongs_to_refs: list(ref(types('autonomous-system'))) },
    ['value'],
  ),
  scoDef('mac-addr', { value: macValue }, ['value']),
  scoDef('mutex', { name: string }, ['name']),
  scoDef(
    'network-traffic',
    {
      start: ts(),
      end: ts(),
      is_active: bool,
      src_ref: addressRef,
      dst_ref: addressRef,
      src_port: int(0, 65535),
      dst_port: int(0, 65535),
      protocols,
      src_byte_count: int(0),
      dst_byte_count: int(0),
      src_packets: int(0),
      dst_packets: int(0),
      ipfix: dict((v, ctx, depth) => (typeof v === 'number' ? int()(v, ctx, depth) : string(v, ctx, depth))),
      src_payload_ref: artifact,
      dst_payload_ref: artifact,
      encapsulates_refs: list(networkTraffic),
      encapsulated_by_ref: networkTraffic,
    },
    ['protocols'],
    (o, ctx) => {
      atLeastOne(o, ctx, ['src_ref', 'dst_ref'], 'network traffic needs src_ref or dst_ref')
      if (o['is_active'] === true && Object.hasOwn(o, 'end')) ctx.error('end must not be present when is_active is true', 'end')
      order(o, ctx, 'start', 'end', false)
    },
  ),
  scoDef(
    'process',
    {
      is_hidden: bool,
      pid: int(),
      created_time: ts(),
      cwd: string,
      command_line: string,
      environment_variables: dict(string),
      opened_connection_refs: list(networkTraffic),
      creator_user_ref: userAccount,
      image_ref: ref(types('file')),
      parent_ref: ref(types('process')),
      child_refs: list(ref(types('process'))),
    },
    [],
    (o, ctx) => {
      if (!hasContent(o)) ctx.error('a process needs at least one property besides type and id (or an extension)')
    },
  ),
  scoDef('software', { name: string, cpe: string, swid: string, languages: list(langTag), vendor: string, version: string }, ['name']),
  scoDef('url', { value: string }, ['value']),
  scoDef(
    'user-account',
    {
      user_id: string,
      credential: string,
      account_login: string,
      account_type: ov('account-type-ov'),
      display_name: string,
      is_service_account: bool,
      is_privileged: bool,
      can_escalate_privs: bool,
      is_disabled: bool,
      account_created: ts(),
      account_expires: ts(),
      credential_last_changed: ts(),
      account_first_login: ts(),
      account_last_login: ts(),
    },
    [],
    (o, ctx) => {
      if (!hasContent(o)) ctx.error('a user account needs at least one property besides type and id (or an extension)')
    },
  ),
  scoDef(
    'windows-registry-key',
    { key: registryKey, values: list(obj(WINDOWS_REGISTRY_VALUE)), modified_time: ts(), creator_user_ref: userAccount, number_of_subkeys: int(0) },
    [],
    (o, ctx) => {
      if (!hasContent(o)) ctx.error('a registry key needs at least one property besides type and id')
    },
  ),
  scoDef(
    'x509-certificate',
    {
      is_self_signed: bool,
      hashes: hashesDict,
      version: string,
      serial_number: string,
      signature_algorithm: string,
      issuer: string,
      validity_not_before: ts(),
      validity_not_after: ts(),
      subject: string,
      subject_public_key_algorithm: string,
      subject_public_key_modulus: string,
      subject_public_key_exponent: int(),
      x509_v3_extensions: obj(X509_V3_EXTENSIONS),
    },
    [],
    (o, ctx) => {
      if (!hasContent(o)) ctx.error('an X.509 certificate needs at least one property besides type and id')
    },
  ),
]
