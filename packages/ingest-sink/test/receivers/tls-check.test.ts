import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReceiverTls } from '../../src/receivers/tls-server.js';
import { tempDir } from './helpers/real-sink.js';
import { makeTestCerts } from './helpers/tls-certs.js';

const tmp = tempDir('at-tls-check-');
afterAll(() => tmp.remove());
const certs = makeTestCerts(tmp.dir);
const validity = new X509Certificate(certs.serverCert);

describe('checkReceiverTls (serve checks its TLS files before it opens anything)', () => {
  it("passes a certificate with its key and CA, and refuses a key that is not the certificate's, naming the receiver", () => {
    expect(checkReceiverTls('forward', { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca })).toBeUndefined();
    expect(() => checkReceiverTls('syslog', { cert: certs.serverCert, key: certs.clientKey })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^the syslog receiver's TLS certificate, key or CA cannot be used \(.*key values mismatch\)/) }),
    );
  });

  it('says when the certificate has expired or is not valid yet: clients that verify it refuse every connection with an alert the receiver never logs (found by a probe)', () => {
    const tls = { cert: certs.serverCert, key: certs.serverKey };
    const after = Date.parse(validity.validTo) + 1000;
    const before = Date.parse(validity.validFrom) - 1000;
    expect(checkReceiverTls('forward', tls, after)).toBe(`the forward receiver's TLS certificate (CN=server) expired on ${new Date(Date.parse(validity.validTo)).toISOString()}: clients that verify it refuse every connection; renew it`);
    expect(checkReceiverTls('syslog', tls, before)).toMatch(/^the syslog receiver's TLS certificate \(CN=server\) is not valid before .*: clients that verify it refuse every connection until then/);
  });
});
