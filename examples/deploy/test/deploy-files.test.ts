import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  DEFAULT_FORWARD_PORT,
  DEFAULT_HEALTH_PORT,
  DEFAULT_SYSLOG_PORT,
  DEFAULT_SYSLOG_TLS_PORT,
  DEFAULT_TAG_TEMPLATE,
  aggregatorOptionsFrom,
  settingsFromEnv,
} from '@audit-trail/ingest-sink';
import { migrateCommand } from '../../../packages/cli/src/commands/migrate.js';
import { serveCommand } from '../../../packages/cli/src/commands/serve.js';
import { classifyLine } from '../../../packages/ingest-sink/src/normalize/classify-line.js';
import { compileTagPatterns } from '../../../packages/ingest-sink/src/normalize/tag-patterns.js';
import { deniedExecEvent, execEvent, line as auditLine, otherEvents } from '../../../packages/ingest-sink/test/receivers/helpers/k8s-audit-events.js';
import { dockerfileEnv } from '../../../bench/image-settings.js';

// The deployment files are documentation that operators copy: these tests
// keep them consistent with the aggregator's defaults and flags.

const here = dirname(fileURLToPath(import.meta.url));
const read = (p: string) => readFileSync(join(here, '..', p), 'utf8');
const repoFile = (p: string) => readFileSync(join(here, '../../..', p), 'utf8');

type Obj = Record<string, any>;

/** The `--flag value` pairs of an argument list. */
function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  args.forEach((a, i) => {
    if (a.startsWith('--')) out.set(a, args[i + 1] ?? '');
  });
  return out;
}

/** Every --flag must be one `audit-trail serve` documents (its usage text lists them all). */
function expectServeFlags(args: string[]) {
  expect(args[0]).toBe('serve');
  for (const f of flags(args).keys()) expect(serveCommand.usage).toContain(`${f} `);
}

const port = (hostPort: string) => Number(hostPort.split(':').pop());

/** The shell commands in a file's comments (`#   command`, or `# Label:  command`), continuation lines joined. */
function commentCommands(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => (l.startsWith('#   ') ? l.slice(4) : /^# [^:]+:  (\S.*)$/.exec(l)?.[1]))
    .filter((l): l is string => l !== undefined)
    .map((l) => l.replace(/\s+#\s.*$/, '').trim());
  const out: string[] = [];
  let pending = '';
  for (const l of lines) {
    if (l.endsWith('\\')) pending += `${l.slice(0, -1).trim()} `;
    else {
      out.push(pending + l);
      pending = '';
    }
  }
  return out;
}

describe('Docker Swarm stack', () => {
  const stack = parse(read('swarm/docker-stack.yml')) as Obj;
  const app = stack.services['webauthn-api'];
  const agent = stack.services['fluentd-agent'];
  const aggregator = stack.services.aggregator;

  it('ships the app through the fluentd log driver with the tag template the aggregator parses', () => {
    expect(app.logging.driver).toBe('fluentd');
    expect(app.logging.options.tag).toBe(DEFAULT_TAG_TEMPLATE);
    expect(app.logging.options['fluentd-async']).toBe('true');
    expect(Number(app.logging.options['fluentd-buffer-limit'])).toBeGreaterThan(0);
    expect(port(app.logging.options['fluentd-address'])).toBe(agent.ports[0].target);
  });

  it('passes Swarm placement to the logger with templates', () => {
    expect(app.environment).toMatchObject({
      SWARM_NODE: '{{.Node.Hostname}}',
      SWARM_SERVICE: '{{.Service.Name}}',
      SWARM_TASK_ID: '{{.Task.ID}}',
    });
  });

  it('runs one Fluentd agent per node with its file buffer on a host volume', () => {
    expect(agent.deploy.mode).toBe('global');
    expect(agent.ports.map((p: Obj) => p.protocol).sort()).toEqual(['tcp', 'udp']);
    const buffer = agent.volumes.find((v: Obj) => v.target === '/fluentd/buffer');
    expect(buffer).toMatchObject({ type: 'bind' });
    expect(read('swarm/fluentd-agent.conf')).toContain('path /fluentd/buffer/audit');
  });

  it('has the agent\'s buffer directory made on every node, writable by the image\'s user, before deploying', () => {
    // A bind mount's source must exist on the node (Swarm rejects the task otherwise), and the
    // fluent/fluentd image runs as its user `fluent`: a directory root made left the file buffer
    // unwritable. Before, the stack said neither (found by the ops probe).
    const buffer = agent.volumes.find((v: Obj) => v.target === '/fluentd/buffer');
    const commands = commentCommands(read('swarm/docker-stack.yml'));
    const at = (re: RegExp) => commands.findIndex((c) => re.test(c));
    const prepare = at(new RegExp(`^docker run .*--user root .*-v ${buffer.source}:(\\S+) ${agent.image.replace(/[.]/g, '\\.')} fluent:fluent `));
    expect(prepare).toBeGreaterThanOrEqual(0);
    expect(commands[prepare]).toContain('--entrypoint chown');
    expect(prepare).toBeLessThan(at(/^docker stack deploy /));
  });

  it('runs `audit-trail serve` on the default ports with flags the command accepts', () => {
    expectServeFlags(aggregator.command);
    const f = flags(aggregator.command);
    expect(port(f.get('--forward')!)).toBe(DEFAULT_FORWARD_PORT);
    expect(port(f.get('--health')!)).toBe(DEFAULT_HEALTH_PORT);
    // Liveness: a replaced task mends neither a database outage nor a full spool.
    expect(aggregator.healthcheck.test.join(' ')).toContain(`:${DEFAULT_HEALTH_PORT}/livez`);
  });

  it('keeps credentials in Docker secrets, never in plain environment values', () => {
    for (const name of ['audit_db_password', 'audit_shared_key', 'audit_aggregator_key', 'audit_signing_secret']) {
      expect(stack.secrets[name]).toEqual({ external: true });
    }
    expect(aggregator.environment.AUDIT_TRAIL_DB_PASSWORD_FILE).toBe('/run/secrets/audit_db_password');
    expect(aggregator.environment.AUDIT_TRAIL_DB_URL).not.toMatch(/:[^@/]+@/); // no password in the URL
    expect(flags(aggregator.command).get('--shared-key-file')).toBe('/run/secrets/audit_shared_key');
    for (const service of Object.values(stack.services) as Obj[]) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|SHARED_KEY/.test(key)) expect(key, `${key} must be a *_FILE`).toMatch(/_FILE$/);
        expect(String(value)).not.toMatch(/BEGIN .*PRIVATE KEY/);
      }
    }
  });

  it('creates the tables before deploying: a one-off migrate job with the aggregator\'s image, URL and password secret', () => {
    const commands = commentCommands(read('swarm/docker-stack.yml'));
    const at = (re: RegExp) => commands.findIndex((c) => re.test(c));
    const migrate = commands[at(/^docker service create .* migrate$/)]!;
    expect(migrate).toBeDefined();
    expect(migrate).toContain('--mode replicated-job');
    expect(migrate).toContain('--secret audit_db_password');
    for (const name of ['AUDIT_TRAIL_DB_URL', 'AUDIT_TRAIL_DB_PASSWORD_FILE']) expect(migrate).toContain(`--env ${name}=${aggregator.environment[name]} `);
    const image = /^\$\{AGGREGATOR_IMAGE:-(.+)\}$/.exec(aggregator.image)?.[1];
    expect(migrate).toMatch(new RegExp(` ${image!.replace(/[.]/g, '\\.')} migrate$`));
    // After the password secret exists, before the stack is deployed.
    expect(at(/docker secret create audit_db_password/)).toBeLessThan(at(/^docker service create .* migrate$/));
    expect(at(/^docker service create .* migrate$/)).toBeLessThan(at(/^docker stack deploy /));
  });

  it('keeps the aggregator spool on a volume at the working directory of the image', () => {
    expect(aggregator.volumes).toContain('aggregator-spool:/var/lib/audit-trail');
    expect(repoFile('Dockerfile')).toMatch(/^WORKDIR \/var\/lib\/audit-trail$/m);
  });
});

describe('Fluentd agent configuration', () => {
  const conf = read('swarm/fluentd-agent.conf');
  const match = conf.slice(conf.indexOf('<match'), conf.indexOf('</match>'));

  it('listens where the log driver sends and matches the tag template', () => {
    expect(conf).toMatch(new RegExp(`<source>\\s+@type forward\\s+port ${DEFAULT_FORWARD_PORT}`));
    const prefix = DEFAULT_TAG_TEMPLATE.split('{{')[0]!; // "swarm.audit."
    expect(match).toContain(`<match ${prefix}**>`);
  });

  it('forwards to the aggregator with ack, shared key, TLS, a file buffer and unbounded retries', () => {
    expect(match).toMatch(/^\s*require_ack_response true$/m);
    expect(match).toMatch(/^\s*transport tls$/m);
    expect(match).toMatch(/^\s*shared_key /m);
    expect(match).toMatch(/^\s*self_hostname /m);
    expect(match).toMatch(/<buffer tag>\s+@type file/);
    expect(match).toMatch(/^\s*retry_forever true$/m);
    expect(match).toMatch(new RegExp(`^\\s*port ${DEFAULT_FORWARD_PORT}$`, 'm'));
  });

  it('keeps security audit lines, Falco alerts and Docker events, which the aggregator takes as container events from their tags', () => {
    // The grep filter (Ruby regexps that read the same in JavaScript): the driver's `log` field, or a piece of a split line.
    const grep = /@type grep\s+<or>\s+<regexp>\s+key log\s+pattern \/(.*)\/\s+<\/regexp>\s+<regexp>\s+key partial_message\s+pattern \/(.*)\/\s+<\/regexp>\s+<\/or>/m.exec(conf);
    expect(grep).not.toBeNull();
    const keepsRecord = (r: { log: string; partial_message?: string; [field: string]: string | undefined }) => new RegExp(grep![1]!).test(r.log) || (r.partial_message !== undefined && new RegExp(grep![2]!).test(r.partial_message));
    const keeps = (log: string) => keepsRecord({ log });
    const stack = parse(read('swarm/docker-stack.yml')) as Obj;
    const trusted = compileTagPatterns(settingsFromEnv(stack.services.aggregator.environment).containerEventTags)!;
    const falco = JSON.stringify({
      time: '2026-03-02T09:14:07.123456789Z',
      rule: 'Terminal shell in container',
      priority: 'Notice',
      source: 'syscall',
      output_fields: { 'container.id': 'abcdef012345', 'container.name': 'api.1', 'proc.cmdline': 'bash -i', 'proc.tty': 34816, 'user.name': 'root' },
    });
    const id = 'ab'.repeat(32);
    const docker = JSON.stringify({ status: 'exec_start: sh', id, from: 'app:1', Type: 'container', Action: 'exec_start: sh', Actor: { ID: id, Attributes: { image: 'app:1', name: 'api.1' } }, scope: 'local', time: 1772442847, timeNano: 1772442847000000000 });
    // Before, only lines holding "log_type" passed: every Falco alert and Docker event was dropped on the
    // node, and `report shells` stayed empty for Swarm (found by the ops probe).
    for (const [tag, line] of [
      ['swarm.audit.node-1.falco.x7k2p9q4m1n8b5v3c6z0l2k4j', falco],
      ['swarm.audit.node-2.docker-events.q4m1n8b5v3c6z0l2k4jx7k2p9', docker],
    ] as const) {
      expect(keeps(line), tag).toBe(true);
      const out = classifyLine(line, { source_tag: tag }, 'forward', trusted) as { kind: string; item: { line: string; reject?: string } };
      expect(out.item.reject).toBeUndefined();
      expect(JSON.parse(out.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', process: { command_line: line === falco ? 'bash -i' : 'sh' } });
    }
    expect(keeps('{"log_type":"security_audit","event_type":"WEBAUTHN_AUTH_FAILURE"}')).toBe(true);
    expect(keeps('GET /healthz 200')).toBe(false);
    expect(keeps('{"level":30,"msg":"listening"}')).toBe(false);
    // A line over 16 KiB comes in pieces, only the first holding "log_type": every piece passes, for the aggregator to join.
    const piece = { partial_message: 'true', partial_id: 'p1', partial_last: 'false' };
    expect(keepsRecord({ log: '{"event_id":"x","log_type":"security_audit","pad":"aaaa', ...piece, partial_ordinal: '1' })).toBe(true);
    expect(keepsRecord({ log: 'aaaa"}', ...piece, partial_ordinal: '2', partial_last: 'true' })).toBe(true);
  });
});

describe('Kubernetes manifests', () => {
  const aggregatorDocs = parseAllDocuments(read('kubernetes/aggregator.yaml')).map((d) => d.toJS() as Obj);
  const fluentBitDocs = parseAllDocuments(read('kubernetes/fluent-bit.yaml')).map((d) => d.toJS() as Obj);
  const byKind = (docs: Obj[], kind: string) => docs.find((d) => d.kind === kind)!;

  const deployment = byKind(aggregatorDocs, 'Deployment');
  const service = byKind(aggregatorDocs, 'Service');
  const container = deployment.spec.template.spec.containers[0];

  it('runs the aggregator as a Deployment with flags the command accepts', () => {
    expectServeFlags(container.args);
    const f = flags(container.args);
    expect(port(f.get('--forward')!)).toBe(DEFAULT_FORWARD_PORT);
    // rsyslog on the nodes reaches it across the cluster network: syslog over TLS only.
    expect(f.get('--syslog')).toBe(`tls://0.0.0.0:${DEFAULT_SYSLOG_TLS_PORT}`);
    expect(f.has('--tls-cert') && f.has('--tls-key')).toBe(true);
    expect(port(f.get('--health')!)).toBe(DEFAULT_HEALTH_PORT);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: DEFAULT_HEALTH_PORT });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: DEFAULT_HEALTH_PORT });
    expect(container.volumeMounts.find((m: Obj) => m.name === 'spool').mountPath).toBe('/var/lib/audit-trail');
  });

  it('sizes the spool to its volume: the limit serve takes from the environment fits the claim, with room to spare', () => {
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value]));
    const { sinkOptions } = aggregatorOptionsFrom({ ...settingsFromEnv(env), db: env.AUDIT_TRAIL_DB_URL });
    const claim = byKind(aggregatorDocs, 'PersistentVolumeClaim');
    expect(deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'spool').persistentVolumeClaim.claimName).toBe(claim.metadata.name);
    const gib = Number(/^(\d+)Gi$/.exec(claim.spec.resources.requests.storage)?.[1]) * 1024 ** 3;
    const maxBytes = (sinkOptions as { spool: { maxBytes: number } }).spool.maxBytes;
    // Not the 256 MiB default on a 10 Gi volume, and not all of it: quarantine copies and the partial-line journal share it.
    expect(maxBytes).toBeGreaterThan(256 * 1024 ** 2);
    expect(maxBytes).toBeLessThanOrEqual(0.9 * gib);
  });

  it('requests the memory the image stays under at full load (150 MB) and limits above it', () => {
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number.NaN) * 1024 * 1024;
    const { requests, limits } = container.resources;
    expect(mib(requests.memory)).toBeGreaterThanOrEqual(150e6);
    expect(mib(limits.memory)).toBeGreaterThan(mib(requests.memory));
  });

  it('exposes forward (TCP and UDP heartbeat), syslog over TLS and health through the Service, and no clear-text syslog', () => {
    const ports = service.spec.ports.map((p: Obj) => `${p.port}/${p.protocol}`);
    expect(ports).toEqual(
      expect.arrayContaining([
        `${DEFAULT_FORWARD_PORT}/TCP`,
        `${DEFAULT_FORWARD_PORT}/UDP`,
        `${DEFAULT_SYSLOG_TLS_PORT}/TCP`,
        `${DEFAULT_HEALTH_PORT}/TCP`,
      ]),
    );
    expect(ports).not.toContain(`${DEFAULT_SYSLOG_PORT}/TCP`);
    expect(ports).not.toContain(`${DEFAULT_SYSLOG_PORT}/UDP`);
    expect(container.ports.map((p: Obj) => `${p.containerPort}/${p.protocol}`).sort()).toEqual([...ports].sort());
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('creates the namespace before its secrets, and the tables (migrate-job.yaml) before the aggregator starts', () => {
    const commands = commentCommands(read('kubernetes/aggregator.yaml'));
    const at = (re: RegExp) => commands.findIndex((c) => re.test(c));
    expect(at(/^kubectl create namespace audit-trail$/)).toBe(0);
    expect(at(/^kubectl -n audit-trail create secret generic audit-trail-db /)).toBeGreaterThan(0);
    expect(at(/^kubectl -n audit-trail create secret generic audit-trail-db /)).toBeLessThan(at(/^kubectl apply -f \S+\/migrate-job\.yaml$/));
    expect(at(/^kubectl apply -f \S+\/migrate-job\.yaml$/)).toBeLessThan(at(/^kubectl -n audit-trail wait --for=condition=complete .*job\/audit-trail-migrate$/));
    expect(at(/^kubectl -n audit-trail wait /)).toBeLessThan(at(/^kubectl apply -f \S+\/aggregator\.yaml$/));
    // The shared key is made without a final newline: Fluent Bit reads it from the secret whole, as an
    // environment value, while serve reads the file by lines; with one, the two keys differed.
    const made = at(/^openssl rand -base64 \d+ \| tr -d '\\n' > shared-key$/);
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(at(/--from-file=shared-key=\.\/shared-key$/));
  });

  it('runs `audit-trail migrate` as a Job with the aggregator\'s image, database URL and password secret', () => {
    const job = parse(read('kubernetes/migrate-job.yaml')) as Obj;
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { namespace: deployment.metadata.namespace } });
    expect(commentCommands(read('kubernetes/aggregator.yaml'))).toContain(`kubectl -n ${job.metadata.namespace} delete job ${job.metadata.name} --ignore-not-found`);
    const pod = job.spec.template.spec;
    const [migrate] = pod.containers;
    expect(migrate.args[0]).toBe('migrate');
    for (const f of flags(migrate.args).keys()) expect(migrateCommand.usage).toContain(`${f} `);
    expect(migrate.image).toBe(container.image);
    const dbEnv = (c: Obj) => c.env.filter((e: Obj) => /^AUDIT_TRAIL_DB_/.test(e.name));
    expect(dbEnv(migrate)).toEqual(dbEnv(container));
    expect(dbEnv(migrate).map((e: Obj) => e.name).sort()).toEqual(['AUDIT_TRAIL_DB_PASSWORD_FILE', 'AUDIT_TRAIL_DB_URL']);
    // The password file is the same secret, mounted where AUDIT_TRAIL_DB_PASSWORD_FILE points.
    const secretOf = (volumes: Obj[], mount: Obj) => volumes.find((v: Obj) => v.name === mount.name)!.secret.secretName;
    const passwordFile = dbEnv(migrate).find((e: Obj) => e.name === 'AUDIT_TRAIL_DB_PASSWORD_FILE').value;
    const mountOf = (c: Obj) => c.volumeMounts.find((m: Obj) => passwordFile.startsWith(`${m.mountPath}/`));
    expect(secretOf(pod.volumes, mountOf(migrate))).toBe(secretOf(deployment.spec.template.spec.volumes, mountOf(container)));
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
  });

  it('takes the database password from a secret file', () => {
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value]));
    expect(env.AUDIT_TRAIL_DB_URL).not.toMatch(/:[^@/]+@/);
    expect(env.AUDIT_TRAIL_DB_PASSWORD_FILE).toMatch(/^\/etc\/audit-trail\/db\//);
  });

  it('runs Fluent Bit as a DaemonSet with filesystem storage, the kubernetes filter and forward with ack', () => {
    const ds = byKind(fluentBitDocs, 'DaemonSet');
    expect(ds.spec.template.spec.serviceAccountName).toBe('fluent-bit');
    const config = parse(byKind(fluentBitDocs, 'ConfigMap').data['fluent-bit.yaml']) as Obj;
    expect(config.service['storage.path']).toBeTruthy();
    const tail = config.pipeline.inputs.find((i: Obj) => i.name === 'tail');
    expect(tail['storage.type']).toBe('filesystem');
    expect(config.pipeline.filters.map((f: Obj) => f.name)).toEqual(expect.arrayContaining(['kubernetes', 'grep']));
    const out = config.pipeline.outputs.find((o: Obj) => o.name === 'forward');
    expect(out.require_ack_response).toBe(true);
    expect(out.port).toBe(DEFAULT_FORWARD_PORT);
    expect(out.host).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(out.shared_key).toMatch(/^\$\{[A-Z_]+\}$/); // from the secret, not inline
    expect(out.retry_limit).toBe('no_limits');
  });

  describe('the API server\'s audit log (who opened a shell in which container)', () => {
    const ds = byKind(fluentBitDocs, 'DaemonSet');
    const config = parse(byKind(fluentBitDocs, 'ConfigMap').data['fluent-bit.yaml']) as Obj;
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value]));
    const trusted = compileTagPatterns(settingsFromEnv({ AUDIT_TRAIL_CONTAINER_EVENT_TAGS: env.AUDIT_TRAIL_CONTAINER_EVENT_TAGS }).containerEventTags)!;
    const auditInput = config.pipeline.inputs.find((i: Obj) => i.path === '/var/log/kubernetes/audit/audit.log');
    /** Fluent Bit's tag match: `*` stands for any characters, the rest for itself, over the whole tag. */
    const fbMatch = (pattern: string, tag: string) => {
      const parts = pattern.split('*').map((p) => p.replace(/[.+?^$()|[\]{}\\]/g, '\\$&'));
      return new RegExp(`^${parts.join('.*')}$`).test(tag);
    };
    /** Whether a record `{log}` under `tag` gets through every grep filter matching the tag (`regex: KEY REGEX`). */
    const passesGreps = (tag: string, log: string) =>
      config.pipeline.filters
        .filter((f: Obj) => f.name === 'grep' && fbMatch(f.match, tag))
        .every((f: Obj) => {
          const [key, ...pattern] = String(f.regex).split(' ');
          return new RegExp(pattern.join(' ')).test(({ log } as Obj)[key!]);
        });

    it('is tailed on the control-plane nodes (kube-apiserver --audit-log-path) under a tag of its own, from the host path the DaemonSet mounts', () => {
      expect(auditInput).toMatchObject({ name: 'tail', tag: 'k8s.audit', 'storage.type': 'filesystem' });
      expect(auditInput).not.toHaveProperty('parser'); // the line as written, in `log`: a reject keeps it as evidence
      // tail stops reading a file at a line over buffer_max_size unless skip_long_lines is on (Fluent Bit tail
      // docs); an exec's line (URI at most 1 MB, JSON-escaped up to sixfold) must fit, and a kubectl debug
      // line with its body too (at most 3 MB, the API server's MaxRequestBodyBytes, escaped sixfold).
      expect(auditInput.skip_long_lines).toBe('on');
      expect(Number(/^(\d+)M$/.exec(auditInput.buffer_max_size)?.[1])).toBeGreaterThanOrEqual(6 + 18);
      const varlog = ds.spec.template.spec.volumes.find((v: Obj) => v.name === 'varlog');
      expect(auditInput.path.startsWith(`${varlog.hostPath.path}/`)).toBe(true);
      // kubeadm taints control-plane nodes node-role.kubernetes.io/control-plane:NoSchedule.
      expect(ds.spec.template.spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
      // No container's log is tailed under that tag, and the container-log filters do not touch it.
      const containerInput = config.pipeline.inputs.find((i: Obj) => i.path === '/var/log/containers/*.log');
      expect(fbMatch(containerInput.tag, auditInput.tag)).toBe(false);
      for (const f of config.pipeline.filters.filter((x: Obj) => x.name === 'kubernetes')) expect(fbMatch(f.match, auditInput.tag)).toBe(false);
      expect(config.pipeline.outputs.some((o: Obj) => o.name === 'forward' && fbMatch(o.match, auditInput.tag))).toBe(true);
    });

    it('is the tag the aggregator takes Kubernetes audit events from (AUDIT_TRAIL_CONTAINER_EVENT_TAGS), which no application container\'s tag matches', () => {
      expect(trusted(auditInput.tag)).toBe(true);
      expect(trusted('kube.var.log.containers.falco-x2x7q_falco_falco-0123456789abcdef.log')).toBe(true);
      expect(trusted('kube.var.log.containers.web-7d4b9_shop_app-0123456789abcdef.log')).toBe(false);
      expect(trusted('kube.var.log.containers.k8s.audit')).toBe(false);
    });

    it('carries an exec, a refused exec or a kubectl debug from the audit log to a CONTAINER_EXEC naming the user, and drops the other requests on the node', () => {
      // kubectl debug POD --image=busybox -- sh -c id: a strategic merge patch of pods/ephemeralcontainers, at level Request.
      const debug = execEvent('ResponseComplete', {
        level: 'Request',
        verb: 'patch',
        requestURI: '/api/v1/namespaces/shop/pods/cart-5d8f7c9b4-x2x7q/ephemeralcontainers',
        objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-5d8f7c9b4-x2x7q', apiVersion: 'v1', subresource: 'ephemeralcontainers' },
        requestObject: { spec: { '$setElementOrder/ephemeralContainers': [{ name: 'debugger-7xk2p' }], ephemeralContainers: [{ name: 'debugger-7xk2p', image: 'busybox', command: ['sh', '-c', 'id'], resources: {}, terminationMessagePolicy: 'File' }] } },
        responseStatus: { metadata: {}, code: 200 },
      });
      for (const [event, user, outcome] of [
        [execEvent('ResponseStarted'), 'alice@example.com', 'success'],
        [deniedExecEvent('ResponseComplete'), 'mallory@example.com', 'failure'],
        [debug, 'alice@example.com', 'success'],
      ] as const) {
        const text = auditLine(event);
        expect(passesGreps(auditInput.tag, text)).toBe(true);
        const out = classifyLine(text, { source_tag: auditInput.tag }, 'forward', trusted) as { kind: string; item: { line: string; reject?: string } };
        expect(out.item.reject).toBeUndefined();
        expect(JSON.parse(out.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', user_id: user, outcome });
      }
      for (const event of otherEvents().slice(0, 4)) expect(passesGreps(auditInput.tag, auditLine(event)), String(event.requestURI)).toBe(false);
      // An exec through the node proxy whose path is escaped reaches the kubelet's exec all the same (found by a probe).
      const escaped = execEvent('ResponseStarted', { verb: 'get', requestURI: '/api/v1/nodes/worker-3/proxy/%65xec/shop/api-6f7d/app?command=sh', objectRef: { resource: 'nodes', name: 'worker-3', subresource: 'proxy', apiVersion: 'v1' } });
      expect(passesGreps(auditInput.tag, auditLine(escaped))).toBe(true);
      expect(JSON.parse((classifyLine(auditLine(escaped), { source_tag: auditInput.tag }, 'forward', trusted) as { item: { line: string } }).item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', user_id: 'alice@example.com' });
      // The container logs' grep keeps audit-trail lines and Falco's alerts, which the aggregator trusts from Falco's pods.
      const falcoTag = 'kube.var.log.containers.falco-x2x7q_falco_falco-0123456789abcdef.log';
      expect(passesGreps(falcoTag, JSON.stringify({ rule: 'Terminal shell in container', priority: 'Notice', time: '2026-03-02T09:14:07.6Z', output_fields: { 'container.id': 'abcdef012345', 'proc.cmdline': 'sh' } }))).toBe(true);
      expect(passesGreps(falcoTag, '{"log_type":"security_audit","event_type":"WEBAUTHN_AUTH_FAILURE"}')).toBe(true);
      expect(passesGreps(falcoTag, 'GET /healthz 200')).toBe(false);
    });

    it('comes with a kube-apiserver audit policy that logs pods/exec and pods/attach, the body of a pods/ephemeralcontainers write, and keeps the stage with the outcome', () => {
      const policy = parse(read('kubernetes/audit-policy.yaml')) as Obj;
      expect(policy).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy' });
      // The first rule matching a request decides its level (audit/v1 types.go, Policy.Rules).
      const first = (resource: string) =>
        policy.rules.find((r: Obj) => !r.resources || r.resources.some((g: Obj) => (g.group ?? '') === '' && (!g.resources || g.resources.includes(resource) || g.resources.includes('pods/*'))));
      for (const resource of ['pods/exec', 'pods/attach']) {
        const rule = first(resource);
        expect(['Metadata', 'Request', 'RequestResponse']).toContain(rule?.level);
        const omitted = [...(policy.omitStages ?? []), ...(rule.omitStages ?? [])];
        expect(omitted.includes('ResponseStarted') && omitted.includes('ResponseComplete')).toBe(false);
        expect(rule.verbs).toBeUndefined(); // exec is create over SPDY, get over WebSocket
      }
      // kubectl debug patches pods/ephemeralcontainers (a PUT updates it): what the container runs is in the body only.
      for (const verb of ['patch', 'update']) {
        const rule = policy.rules.find(
          (r: Obj) => (!r.verbs || r.verbs.includes(verb)) && (!r.resources || r.resources.some((g: Obj) => (g.group ?? '') === '' && (!g.resources || g.resources.includes('pods/ephemeralcontainers') || g.resources.includes('pods/*')))),
        );
        expect(['Request', 'RequestResponse'], verb).toContain(rule?.level);
        const omitted = [...(policy.omitStages ?? []), ...(rule.omitStages ?? [])];
        expect(omitted.includes('ResponseComplete')).toBe(false);
      }
    });
  });

  it('relays container runtime syslog with rsyslog to the syslog port over TLS, octet-counted RFC 5424, checking the server certificate\'s name', () => {
    const conf = read('kubernetes/rsyslog-container-logs.conf');
    const target = `${service.metadata.name}.${service.metadata.namespace}.svc`;
    expect(conf).toContain(`port="${DEFAULT_SYSLOG_TLS_PORT}"`);
    expect(conf).toContain('TCP_Framing="octet-counted"');
    expect(conf).toContain('template="RSYSLOG_SyslogProtocol23Format"');
    expect(conf).toContain(`target="${target}"`);
    for (const p of ['StreamDriver="gtls"', 'StreamDriverMode="1"', 'StreamDriverAuthMode="x509/name"', `StreamDriverPermittedPeers="${target}"`]) expect(conf).toContain(p);
  });

  it('gives rsyslog a configuration Debian\'s rsyslogd (with rsyslog-gnutls) accepts (rsyslogd -N1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-rsyslog-conf-'));
    try {
      // The validation opens the CA file: the example's path, pointed at a real CA certificate.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '1', '-subj', '/CN=audit-trail test CA'], { stdio: 'ignore' });
      const conf = read('kubernetes/rsyslog-container-logs.conf');
      expect(conf).toContain('DefaultNetstreamDriverCAFile="/etc/rsyslog.d/audit-trail-ca.pem"');
      writeFileSync(join(dir, 'rsyslog.conf'), conf.replace('/etc/rsyslog.d/audit-trail-ca.pem', join(dir, 'ca.pem')));
      const run = spawnSync('/usr/sbin/rsyslogd', ['-N1', '-f', join(dir, 'rsyslog.conf')], { encoding: 'utf8' });
      expect(run.error, 'rsyslogd must be installed (apt-get install rsyslog rsyslog-gnutls)').toBeUndefined();
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.stringMatching(/End of config validation run/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('aggregator image', () => {
  it('runs the CLI and exposes the default ports', () => {
    const dockerfile = repoFile('Dockerfile');
    expect(dockerfile).toContain('packages/cli/bin/audit-trail.js');
    for (const p of [`${DEFAULT_FORWARD_PORT}/tcp`, `${DEFAULT_FORWARD_PORT}/udp`, `${DEFAULT_SYSLOG_PORT}/tcp`, `${DEFAULT_HEALTH_PORT}/tcp`]) {
      expect(dockerfile).toContain(p);
    }
  });

  it('starts with the memory settings docs/operations.md gives for a receiver under 150 MB', () => {
    const env = dockerfileEnv(repoFile('Dockerfile'));
    expect(env.NODE_OPTIONS?.split(' ')).toContain('--max-semi-space-size=4');
    expect(env.MALLOC_ARENA_MAX).toBe('1');
    // The Sizing section shows the same two settings as a command line.
    expect(repoFile('docs/operations.md')).toContain(`NODE_OPTIONS=${env.NODE_OPTIONS} MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX} audit-trail serve`);
  });

  it('leaves the keys and audit logs the READMEs create at the repository root out of the build context (COPY . .)', () => {
    // .dockerignore as Docker reads it: patterns relative to the context's root (`*` within one
    // name, `**` any number of directories), a directory's files excluded with it.
    const patterns = repoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(patterns.some((p) => p.startsWith('!'))).toBe(false); // exceptions are not read below
    const regexes = patterns.map((p) => {
      const body = p
        .replace(/^\/+/, '')
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return new RegExp(`^${body}(?:/.*)?$`);
    });
    const ignored = (path: string) => regexes.some((re) => re.test(path));
    // README tour (signing.secret, audit.ndjson); logger README, Making keys and Verifying (k1.secret,
    // verifier.pem, a keyring); a .env. Before, each was copied into /opt/audit-trail of the image.
    for (const file of ['signing.secret', 'audit.ndjson', 'k1.secret', 'verifier.pem', 'keys.json', '.env', 'audit.db', '.audit-demo/signing.secret']) {
      expect(ignored(file), file).toBe(true);
    }
    // Nothing the build needs: no tracked file is left out.
    const tracked = execFileSync('git', ['ls-files'], { cwd: join(here, '../../..'), encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter(ignored)).toEqual([]);
  });

  it('reads ENV lines as bench/receiver.ts does, refusing forms it would misread', () => {
    expect(dockerfileEnv('FROM x\nENV A=1 B="two words" C=\nENV A=3\n')).toEqual({ A: '3', B: 'two words', C: '' });
    expect(() => dockerfileEnv('ENV A 1\n')).toThrow(/key=value/);
    expect(() => dockerfileEnv('ENV A=1 \\\n  B=2\n')).toThrow(/continuation/);
  });
});
