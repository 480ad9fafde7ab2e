/**
 * X.509 for a site's API: a self-signed CA, a server certificate for the API's host names
 * and addresses, and client certificates whose common name is the user and whose
 * organisation carries the role (as Kubernetes reads CN as user and O as group). RSA
 * keys come from node:crypto (fast, native); node-forge builds and signs the
 * certificates. Pure apart from key generation: the caller passes the time.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import forge from 'node-forge'
import { FlotillaError } from '../model/errors.ts'

export interface KeyAndCert {
  /** PEM, PKCS#1 RSA private key. */
  key: string
  /** PEM certificate. */
  cert: string
}

export interface ValidityOptions {
  /** Start of validity (default: now). The certificate is valid from one hour before, for clock skew. */
  now?: Date
  /** Days of validity. */
  days?: number
}

const DAY_MS = 86_400_000
const SKEW_MS = 3_600_000

function rsaKeyPair (): { publicPem: string, privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' }
  })
  return { publicPem: publicKey, privatePem: privateKey }
}

/** A positive serial number (the top bit clear), as RFC 5280 requires. */
function serial (): string {
  const b = randomBytes(16)
  b[0] = b[0]! & 0x7f | 0x01
  return b.toString('hex')
}

function validity (cert: forge.pki.Certificate, options: ValidityOptions, defaultDays: number): void {
  const now = options.now ?? new Date()
  cert.validity.notBefore = new Date(now.getTime() - SKEW_MS)
  cert.validity.notAfter = new Date(now.getTime() + (options.days ?? defaultDays) * DAY_MS)
}

function sign (cert: forge.pki.Certificate, issuerKeyPem: string): string {
  cert.sign(forge.pki.privateKeyFromPem(issuerKeyPem), forge.md.sha256.create())
  return forge.pki.certificateToPem(cert)
}

/** A name attribute as UTF8String: Go's x509 refuses "@" in the default PrintableString. */
function utf8 (name: string, value: string): forge.pki.CertificateField {
  return { name, value, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }
}

function subjectKeyId (cert: forge.pki.Certificate): string {
  return cert.generateSubjectKeyIdentifier().getBytes()
}

/** A self-signed certificate authority for one site (default ten years). */
export function createCertificateAuthority (commonName: string, options: ValidityOptions = {}): KeyAndCert {
  const keys = rsaKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem)
  cert.serialNumber = serial()
  validity(cert, options, 3650)
  const subject = [utf8('commonName', commonName), utf8('organizationName', 'flotilla')]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  return { key: keys.privatePem, cert: sign(cert, keys.privatePem) }
}

interface LeafInput {
  commonName: string
  organizations: readonly string[]
  usage: 'server' | 'client'
  hosts: readonly string[]
}

function issueLeaf (ca: KeyAndCert, input: LeafInput, options: ValidityOptions, defaultDays: number): KeyAndCert {
  const caCert = forge.pki.certificateFromPem(ca.cert)
  const keys = rsaKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem)
  cert.serialNumber = serial()
  validity(cert, options, defaultDays)
  cert.setSubject([utf8('commonName', input.commonName), ...input.organizations.map((o) => utf8('organizationName', o))])
  cert.setIssuer(caCert.subject.attributes)
  const extensions: unknown[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: input.usage === 'server', clientAuth: input.usage === 'client' },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyId(caCert) }
  ]
  if (input.hosts.length > 0) {
    extensions.push({
      name: 'subjectAltName',
      altNames: input.hosts.map((h) => (isIP(h) !== 0 ? { type: 7, ip: h } : { type: 2, value: h }))
    })
  }
  cert.setExtensions(extensions)
  return { key: keys.privatePem, cert: sign(cert, ca.key) }
}

const HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i

/** Checks and deduplicates host names and IP addresses for a server certificate. */
export function serverHosts (hosts: readonly string[]): string[] {
  const out = new Set<string>(['127.0.0.1', 'localhost'])
  for (const raw of hosts) {
    const h = raw.trim().replace(/^\[(.*)\]$/, '$1')
    if (h === '' || h === '0.0.0.0' || h === '::') continue
    if (isIP(h) === 0 && !HOST.test(h)) {
      throw new FlotillaError('input-invalid', `'hosts' must hold DNS names or IP addresses: received ${JSON.stringify(raw)}`,
        'Pass the host names and addresses clients use to reach the API, e.g. "127.0.0.1" or "api.eu-west.example.com".')
    }
    out.add(h)
  }
  return [...out]
}

/** A server certificate for the API, valid for 127.0.0.1, localhost and `hosts` (default two years). */
export function issueServerCertificate (ca: KeyAndCert, siteId: string, hosts: readonly string[], options: ValidityOptions = {}): KeyAndCert {
  return issueLeaf(ca, { commonName: `flotilla-api.${siteId}`, organizations: ['flotilla'], usage: 'server', hosts: serverHosts(hosts) }, options, 730)
}

/** A client certificate: CN is the user, each organisation a group (default two years). */
export function issueClientCertificate (ca: KeyAndCert, user: string, groups: readonly string[], options: ValidityOptions = {}): KeyAndCert {
  return issueLeaf(ca, { commonName: user, organizations: groups, usage: 'client', hosts: [] }, options, 730)
}
