/**
 * Public surface of the site PKI: roles, certificates, hashed bearer tokens, kubeconfigs
 * and the on-disk layout created at `flotilla init`.
 */
export { ROLES, isRole, roleFromGroup, roleGroup, roleUser, type Role } from './roles.ts'
export {
  createCertificateAuthority, issueClientCertificate, issueServerCertificate, serverHosts, type KeyAndCert, type ValidityOptions
} from './certificates.ts'
export { findToken, generateToken, hashToken, parseTokenFile, tokenRecord, type TokenFile, type TokenRecord } from './tokens.ts'
export { contextName, renderKubeconfig, retargetKubeconfig, type KubeconfigInput } from './kubeconfig.ts'
export {
  createSitePki, loadSitePki, retargetSiteKubeconfigs, sitePkiPaths,
  type SitePki, type SitePkiOptions, type SitePkiPaths, type SitePkiResult
} from './site-pki.ts'
