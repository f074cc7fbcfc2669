import type { AuditEvent, EventOf } from './audit-event.js';
import { LOG_TYPE, SCHEMA_VERSION, type EventType } from './constants.js';

/**
 * One valid, fully populated example of every event type, for tests (here
 * and in other packages), documentation and the OCSF/ECS golden files.
 * Values are fixed (ids, times, MACs are constants) so outputs derived from
 * them are byte-stable. They are already in parsed form: parsing one returns
 * an equal object. Treat them as read-only; clone before changing.
 */
export type ExampleEvents = { readonly [T in EventType]: EventOf<T> };

const envelope = {
  log_type: LOG_TYPE,
  schema_version: SCHEMA_VERSION,
  producer: { service: 'accounts-api', version: '2.4.1', sdk_version: '0.1.0', instance: 'accounts-api.1.x7k2p' },
  runtime: {
    host: 'node-a',
    container_id: '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e',
    swarm_node: 'node-a',
    swarm_service: 'accounts_api',
    swarm_task_id: 'x7k2p9q4m1n8b5v3c6z0l2k4j',
  },
  correlation: { request_id: 'req-5f2c9a', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', session_id: 'sess-81d2' },
} as const;

const browser = {
  client_ip: '203.0.113.42',
  client_ip_source: 'x-forwarded-for',
  peer_ip: '10.0.9.17',
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
} as const;

const credential = 'OoBsfGcp5AxazWQTOJacvgZhaX6YAzWTlGrRxSMWbcE5cUTnrAAGe1nKG2zyfzRI7eZXyRf8DOBnc5EJnYxEJA';
const chainId = '01a1f82f-1e80-7b70-8a14-ee1e15d7aa94';
const macs = [
  'yg3yyVqhRMHQ_y_zyPln_cHenvDEEgs3JkFnAbUZ1hk',
  'KcGyiedSIZWzYuRPVOBUcLaa0gVAq2ChigXlv2lR8T0',
  'FTgSrl_qC3OgEb8ovXzqk2REN8P-MmC3stfh4vn0a94',
] as const;
const integrity = (seq: number, prev: string, mac: string) =>
  ({ v: 1, alg: 'HMAC-SHA256', chain_id: chainId, seq, epoch: 0, kid: 'audit-2026-11', prev, mac }) as const;

const k8s = {
  host: 'worker-3',
  k8s_namespace: 'payments',
  k8s_pod: 'payments-api-7d9c6b5f4-q2w8e',
  k8s_container: 'api',
  k8s_node: 'worker-3',
} as const;

const container = {
  id: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b',
  name: 'payments-api',
  image: 'registry.example.com/payments-api:1.8.2',
  image_digest: 'sha256:5d41402abc4b2a76b9719d911017c592ae8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
  runtime: 'containerd',
} as const;

/** The examples, keyed by `event_type`. */
export const exampleEvents: ExampleEvents = {
  WEBAUTHN_REG_SUCCESS: {
    ...envelope,
    ...browser,
    event_id: '01a1f82f-2268-7ec3-9168-2fde56191795',
    event_type: 'WEBAUTHN_REG_SUCCESS',
    event_time: '2026-11-20T09:00:01.000Z',
    outcome: 'success',
    severity: 1,
    user_id: 'u_8f14e45f',
    webauthn: {
      credential_id: credential,
      rp_id: 'example.com',
      origin: 'https://example.com',
      aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
      attestation_fmt: 'none',
      cose_alg: -7,
      transports: ['internal', 'hybrid'],
      user_verified: true,
      credential_device_type: 'multiDevice',
      credential_backed_up: true,
      sign_count: 0,
    },
  },
  WEBAUTHN_REG_FAILURE: {
    ...envelope,
    ...browser,
    event_id: '01a1f82f-2650-7844-aecc-08164e2eab27',
    event_type: 'WEBAUTHN_REG_FAILURE',
    event_time: '2026-11-20T09:00:02.000Z',
    outcome: 'failure',
    severity: 3,
    user_id: 'u_8f14e45f',
    error: { code: 'WEBAUTHN_ORIGIN_MISMATCH', message: 'Unexpected registration response origin "https://evil.example"', type: 'Error' },
    webauthn: { rp_id: 'example.com', origin: 'https://evil.example', failure_stage: 'origin' },
  },
  WEBAUTHN_AUTH_SUCCESS: {
    ...envelope,
    ...browser,
    event_id: '01a1f82f-2a38-7844-bb69-c4d54cc264bc',
    event_type: 'WEBAUTHN_AUTH_SUCCESS',
    event_time: '2026-11-20T09:00:03.000Z',
    outcome: 'success',
    severity: 1,
    user_id: 'u_8f14e45f',
    webauthn: {
      credential_id: credential,
      rp_id: 'example.com',
      origin: 'https://example.com',
      user_verified: true,
      credential_device_type: 'multiDevice',
      credential_backed_up: true,
      sign_count: 4_294_967_290,
      stored_sign_count: 4_294_967_289,
      counter_status: 'increased',
      signature_valid: true,
    },
  },
  WEBAUTHN_AUTH_FAILURE: {
    ...envelope,
    ...browser,
    event_id: '01a1f82f-2e20-7798-85b0-c8b858e77f57',
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    event_time: '2026-11-20T09:00:04.000Z',
    outcome: 'failure',
    severity: 3,
    user_id: 'u_8f14e45f',
    error: { code: 'WEBAUTHN_SIGNATURE_INVALID', message: 'Assertion signature could not be verified', type: 'Error' },
    webauthn: {
      credential_id: credential,
      rp_id: 'example.com',
      origin: 'https://example.com',
      user_verified: false,
      sign_count: 17,
      stored_sign_count: 16,
      signature_valid: false,
      failure_stage: 'signature',
    },
  },
  WEBAUTHN_COUNTER_REGRESSION: {
    ...envelope,
    ...browser,
    event_id: '01a1f82f-3208-729f-9239-4eb92d0ded92',
    event_type: 'WEBAUTHN_COUNTER_REGRESSION',
    event_time: '2026-11-20T09:00:05.000Z',
    outcome: 'failure',
    severity: 4,
    user_id: 'u_8f14e45f',
    webauthn: {
      credential_id: credential,
      rp_id: 'example.com',
      origin: 'https://example.com',
      sign_count: 41,
      stored_sign_count: 57,
      counter_status: 'not_increased',
      signature_valid: true,
    },
  },
  CONTAINER_EXEC: {
    ...envelope,
    producer: { service: 'audit-trail-normaliser', version: '0.1.0' },
    runtime: k8s,
    event_id: '01a1f82f-35f0-7052-a022-0e0f12bb847b',
    event_type: 'CONTAINER_EXEC',
    event_time: '2026-11-20T09:00:06.000Z',
    outcome: 'success',
    severity: 3,
    user_id: 'system:serviceaccount:ops:debugger',
    container,
    process: { command_line: '/bin/sh -c id', exec_user: 'root', tty: true, interactive: true, pid: 4242 },
    detector: { name: 'falco', rule: 'Terminal shell in container', priority: 'Notice' },
  },
  CONTAINER_START: {
    ...envelope,
    producer: { service: 'audit-trail-normaliser', version: '0.1.0' },
    event_id: '01a1f82f-39d8-78cf-b3eb-bdacddfddd6f',
    event_type: 'CONTAINER_START',
    event_time: '2026-11-20T09:00:07.000Z',
    outcome: 'success',
    severity: 1,
    container: { ...container, id: envelope.runtime.container_id, name: 'accounts_api.1.x7k2p9q4m1n8b5v3c6z0l2k4j' },
    detector: { name: 'docker-events' },
    lifecycle: { action: 'start' },
  },
  CONTAINER_STOP: {
    ...envelope,
    producer: { service: 'audit-trail-normaliser', version: '0.1.0' },
    event_id: '01a1f82f-3dc0-7240-8a42-374fa81d2450',
    event_type: 'CONTAINER_STOP',
    event_time: '2026-11-20T09:00:08.000Z',
    outcome: 'success',
    severity: 1,
    container: { ...container, id: envelope.runtime.container_id, name: 'accounts_api.1.x7k2p9q4m1n8b5v3c6z0l2k4j' },
    detector: { name: 'docker-events' },
    lifecycle: { action: 'die', exit_code: 137, signal: 'SIGKILL' },
  },
  CONTAINER_PRIVILEGED: {
    ...envelope,
    producer: { service: 'audit-trail-normaliser', version: '0.1.0' },
    runtime: k8s,
    event_id: '01a1f82f-41a8-705b-9b5f-0450bd7ae843',
    event_type: 'CONTAINER_PRIVILEGED',
    event_time: '2026-11-20T09:00:09.000Z',
    outcome: 'success',
    severity: 4,
    container: { ...container, privileged: true, capabilities: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] },
    process: { command_line: '/usr/local/bin/payments-api --port 8080', exec_user: 'root', tty: false },
    detector: { name: 'falco', rule: 'Launch Privileged Container', priority: 'Informational' },
  },
  AUDIT_CHAIN_OPEN: {
    ...envelope,
    event_id: chainId,
    event_type: 'AUDIT_CHAIN_OPEN',
    event_time: '2026-11-20T09:00:00.000Z',
    outcome: 'success',
    severity: 1,
    integrity: integrity(1, '', macs[0]),
    chain: { mode: 'shared', checkpoint_interval_ms: 60_000, epoch_interval_ms: 60_000, epoch_max_events: 10_000 },
  },
  AUDIT_CHECKPOINT: {
    ...envelope,
    event_id: '01a1f82f-4590-796a-a610-aee3735ad666',
    event_type: 'AUDIT_CHECKPOINT',
    event_time: '2026-11-20T09:01:00.000Z',
    outcome: 'success',
    severity: 1,
    integrity: integrity(2, macs[0], macs[1]),
    chain: { last_seq: 1, records: 1 },
  },
  AUDIT_CHAIN_CLOSE: {
    ...envelope,
    event_id: '01a1f82f-4978-7fe3-b722-93ac6fc8767d',
    event_type: 'AUDIT_CHAIN_CLOSE',
    event_time: '2026-11-20T09:01:30.000Z',
    outcome: 'success',
    severity: 1,
    integrity: integrity(3, macs[1], macs[2]),
    chain: { last_seq: 2, records: 2, reason: 'SIGTERM' },
  },
  AUDIT_SCHEMA_VIOLATION: {
    ...envelope,
    event_id: '01a1f82f-4d60-75e4-8a45-01365904b948',
    event_type: 'AUDIT_SCHEMA_VIOLATION',
    event_time: '2026-11-20T09:00:10.000Z',
    outcome: 'failure',
    severity: 3,
    user_id: 'u_8f14e45f',
    client_ip: '203.0.113.42',
    violation: {
      attempted_event_type: 'WEBAUTHN_AUTH_FAILURE',
      issues: [{ path: 'client_ip', message: 'Invalid IPv4 address' }],
      original: '{"event_type":"WEBAUTHN_AUTH_FAILURE","client_ip":"999.1.1.1","user_id":"u_8f14e45f"}',
    },
  },
};

/** The examples as a list, in `EVENT_TYPES` order. */
export const exampleEventList: readonly AuditEvent[] = Object.values(exampleEvents);
