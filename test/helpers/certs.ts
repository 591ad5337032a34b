/**
 * Certificates made at test time with `openssl`: a CA, a server certificate for localhost and
 * 127.0.0.1 (usable as a client certificate too, as brokers present it to each other), and
 * client certificates, all signed by the CA, in a fresh temp dir.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCerts {
  dir: string
  /** The CA certificate (PEM file): the truststore. */
  caFile: string
  /** Key + certificate of the server in one PEM file (ssl.keystore.location). */
  serverKeystore: string
  /** A client certificate and key (PEM files) with the subject given to clientCert. */
  client(subject: string): { certFile: string; keyFile: string }
  /** A new server keystore signed by the same CA, with `cn` as subject (for reload tests). */
  newServerKeystore(file: string, cn: string): void
  /** A CA and a certificate it signs that the server does not trust. */
  untrustedClient(): { certFile: string; keyFile: string }
  cleanup(): void
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })

function keyPair(dir: string, name: string, subject: string, ca: { cert: string; key: string } | undefined, ext?: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir)
  // PKCS#8, as Java and librdkafka read it.
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key`, '-out', `${name}.key.pem`], dir)
  if (!ca) {
    openssl(['req', '-x509', '-new', '-key', `${name}.key.pem`, '-subj', subject, '-days', '2', '-out', `${name}.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
    return
  }
  openssl(['req', '-new', '-key', `${name}.key.pem`, '-subj', subject, '-out', `${name}.csr`], dir)
  const extArgs = ext ? ['-extfile', `${name}.ext`] : []
  if (ext) writeFileSync(join(dir, `${name}.ext`), ext)
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...extArgs], dir)
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-certs-'))
  keyPair(dir, 'ca', '/CN=Samsa Test CA', undefined)
  const ca = { cert: 'ca.crt', key: 'ca.key.pem' }
  const serverExt = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'
  const server = (file: string, cn: string) => {
    const name = `server-${cn.replace(/\W/g, '')}`
    keyPair(dir, name, `/CN=${cn}`, ca, serverExt)
    writeFileSync(file, readFileSync(join(dir, `${name}.key.pem`), 'utf8') + readFileSync(join(dir, `${name}.crt`), 'utf8'))
  }
  const serverKeystore = join(dir, 'server.keystore.pem')
  server(serverKeystore, 'localhost')
  let n = 0
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverKeystore,
    client(subject) {
      const name = `client${n++}`
      keyPair(dir, name, subject, ca, 'extendedKeyUsage=clientAuth\n')
      return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key.pem`) }
    },
    newServerKeystore: server,
    untrustedClient() {
      keyPair(dir, 'evil-ca', '/CN=Evil CA', undefined)
      keyPair(dir, 'evil', '/CN=mallory', { cert: 'evil-ca.crt', key: 'evil-ca.key.pem' }, 'extendedKeyUsage=clientAuth\n')
      return { certFile: join(dir, 'evil.crt'), keyFile: join(dir, 'evil.key.pem') }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
