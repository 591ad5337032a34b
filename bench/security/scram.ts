/**
 * What SCRAM costs: PBKDF2 of a password at each iteration count (paid by the client and the
 * admin tool, never by the broker, which keeps StoredKey/ServerKey), and the broker's side of
 * one exchange (two messages: HMACs and a hash), replayed in process.
 *
 *   npm run build && node dist/bench/security/scram.js [exchanges=20000]
 */
import { scramServer } from '../../src/security/sasl/scram.js'
import { credentialFromPassword, saltedPassword, SCRAM_MECHANISMS } from '../../src/security/sasl/scram-credential.js'
import { scramClient } from '../../test/helpers/scram-client.js'

const exchanges = Number(process.argv[2] ?? 20_000)

for (const m of SCRAM_MECHANISMS) {
  for (const iterations of [4096, 8192, 16384]) {
    const start = performance.now()
    for (let i = 0; i < 20; i++) saltedPassword(m, 'pw', Buffer.alloc(32, i), iterations)
    console.log(`${m.name} PBKDF2, ${iterations} iterations: ${((performance.now() - start) / 20).toFixed(2)} ms`)
  }
  const credential = credentialFromPassword(m, 'pw', 4096)
  const source = { scramCredential: () => credential }
  // A fixed server nonce lets one client proof be replayed: only the broker's work is timed.
  const client = scramClient(m.name, 'alice', 'pw')
  const final = client.final((await scramServer(m.name, source, { nonce: () => 'fixed' }).evaluate(client.first)).response)
  const start = performance.now()
  for (let i = 0; i < exchanges; i++) {
    const s = scramServer(m.name, source, { nonce: () => 'fixed' })
    await s.evaluate(client.first)
    if (!(await s.evaluate(final)).principal) throw new Error('the replayed exchange did not log in')
  }
  const ms = performance.now() - start
  console.log(`${m.name} broker side of one exchange: ${((ms / exchanges) * 1000).toFixed(1)} us (${Math.round(exchanges / (ms / 1000))} logins/s on one core)`)
}
