import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mapPrincipal, parseMappingRules } from '../../src/security/ssl-principal-mapper.js'

test("ssl.principal.mapping.rules as Kafka's SslPrincipalMapper: first matching rule, L/U, DEFAULT, escaped slashes", () => {
  const rules = parseMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT')
  assert.equal(mapPrincipal(rules, 'CN=kafka-server1,OU=ServiceUsers,O=Org,C=US'), 'kafka-server1')
  assert.equal(mapPrincipal(rules, 'CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US'), 'duke@javasoft')
  assert.equal(mapPrincipal(rules, 'cn=duke,OU=JavaSoft'), 'DUKE')
  assert.equal(mapPrincipal(rules, 'OU=JavaSoft,O=Sun'), 'OU=JavaSoft,O=Sun')
  assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=([^,]*)\\/x$/$1\\/y/'), 'CN=a/x'), 'a/y')
  assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=admin$/root/'), 'CN=other'), undefined, 'no rule matches: refused')
  assert.throws(() => parseMappingRules('RULE:^CN=x$'), /invalid rule/)
  assert.throws(() => parseMappingRules('DEFAULT,nonsense'), /invalid rule/)
})
