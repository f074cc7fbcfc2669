import { flipSignatureByte, rewriteClientData, SoftAuthenticator } from '@audit-trail/webauthn-hooks/testing';
import type { ServiceTask } from './service-task.js';

/** What the scenario did, to compare with what the database holds. */
export interface ScenarioTally {
  registrations: number;
  signIns: number;
  failures: number;
  counterRegressions: number;
}

interface Answer {
  status: number;
  body: any;
}

/**
 * POSTs JSON as a browser behind the demo's load balancer would arrive: the
 * balancer (loopback, the app's one trusted proxy) names the client in
 * X-Forwarded-For.
 */
async function post(url: string, body: unknown, clientIp: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) audit-trail-demo/1.0',
      'x-forwarded-for': clientIp,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** One user with a passkey on one replica of the service. */
class User {
  readonly authenticator = new SoftAuthenticator();
  constructor(
    readonly name: string,
    readonly task: ServiceTask,
    readonly ip: string,
  ) {}

  /** Registers a passkey; `claimedOrigin` rewrites the origin in clientDataJSON, as a crafted request would. */
  async register(claimedOrigin?: string, ip = this.ip): Promise<Answer> {
    const options = await post(`${this.task.base}/registration/options`, { username: this.name }, ip);
    let response = this.authenticator.register(this.task.origin, options.body);
    if (claimedOrigin) response = rewriteClientData(response as never, { origin: claimedOrigin }) as never;
    return post(`${this.task.base}/registration/verify`, response, ip);
  }

  /** An assertion for a fresh challenge, not yet sent. */
  async assertion(authenticator = this.authenticator, ip = this.ip) {
    const options = await post(`${this.task.base}/authentication/options`, { username: this.name }, ip);
    return authenticator.signIn(this.task.origin, options.body);
  }

  async signIn(response?: unknown, ip = this.ip): Promise<Answer> {
    return post(`${this.task.base}/authentication/verify`, response ?? (await this.assertion()), ip);
  }
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
}

/**
 * Real ceremonies with a software authenticator (real P-256 keys and
 * signatures): registrations and sign-ins of several users from several
 * addresses on two replicas, then the failures an attacker causes: a phishing
 * origin, forged signatures in a burst, a replayed challenge, and a cloned
 * authenticator whose counter went backwards.
 */
export async function runCeremonies(tasks: [ServiceTask, ServiceTask], note: (s: string) => void): Promise<ScenarioTally> {
  const [a, b] = tasks;
  const users = [
    new User('alice', a, '203.0.113.10'),
    new User('bob', b, '198.51.100.23'),
    new User('carol', a, '203.0.113.55'),
    new User('dave', b, '2001:db8::7'),
  ];
  const tally: ScenarioTally = { registrations: 0, signIns: 0, failures: 0, counterRegressions: 0 };

  for (const u of users) {
    expectStatus(`register ${u.name}`, await u.register(), 200);
    tally.registrations += 1;
  }
  const alice = users[0]!;
  // A copy of alice's passkey as it is now: a cloned authenticator.
  const clone = alice.authenticator.clone();
  for (const u of users) {
    for (let i = 0; i < 2; i++) {
      expectStatus(`sign in ${u.name}`, await u.signIn(), 200);
      tally.signIns += 1;
    }
  }
  note(`${tally.registrations} passkeys registered, ${tally.signIns} sign-ins on 2 replicas from ${users.length} addresses`);

  // A look-alike origin in clientDataJSON (a relay or a crafted request).
  const carol = users[2]!;
  const phished = rewriteClientData(await carol.assertion(carol.authenticator, '203.0.113.200'), { origin: 'https://login.examp1e.com' });
  expectStatus('wrong origin', await carol.signIn(phished, '203.0.113.200'), 401);
  const eve = new User('eve', a, '203.0.113.200');
  expectStatus('registration from a wrong origin', await eve.register('https://login.examp1e.com'), 400);
  tally.failures += 2;

  // Forged signatures, six in a row from one address: a burst.
  const bob = users[1]!;
  for (let i = 0; i < 6; i++) {
    expectStatus('bad signature', await bob.signIn(flipSignatureByte(await bob.assertion()), '192.0.2.66'), 401);
    tally.failures += 1;
  }

  // A captured sign-in replayed: its challenge was used already.
  const dave = users[3]!;
  const captured = await dave.assertion();
  expectStatus('sign in dave', await dave.signIn(captured), 200);
  tally.signIns += 1;
  expectStatus('replayed challenge', await dave.signIn(captured, '192.0.2.66'), 401);
  tally.failures += 1;
  note('failures: wrong origin (sign-in and registration), 6 forged signatures from 192.0.2.66, a replayed challenge');

  // The clone signs validly, but with a counter below the stored one.
  expectStatus('cloned authenticator', await alice.signIn(await alice.assertion(clone), '198.51.100.99'), 401);
  tally.counterRegressions += 1;
  note('a cloned authenticator: valid signature, counter went backwards (rejected)');
  return tally;
}
