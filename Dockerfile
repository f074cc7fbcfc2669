# syntax=docker/dockerfile:1
# The aggregator image: `audit-trail serve` (see examples/deploy/).
# Build from the repository root:  docker build -t audit-trail/aggregator:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY . .
# npm ci builds every package (root "prepare" script); then drop dev-only tools.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Memory settings that only process start-up reads (docs/operations.md, Sizing):
# V8's young generation at 4 MiB per semi-space and one malloc arena for all
# threads keep `serve`'s peak RSS under 150 MB at full load, for 0.8-0.95x the
# events/s of Node's defaults (bench/receiver.ts, which reads them from here).
# For throughput first, set NODE_OPTIONS (and MALLOC_ARENA_MAX) otherwise.
ENV NODE_OPTIONS=--max-semi-space-size=4 MALLOC_ARENA_MAX=1
COPY --from=build /src /opt/audit-trail
# The spool (events acked but not yet committed) lives here: mount a volume.
RUN mkdir -p /var/lib/audit-trail && chown node:node /var/lib/audit-trail
WORKDIR /var/lib/audit-trail
USER node
EXPOSE 24224/tcp 24224/udp 5140/tcp 5140/udp 6514/tcp 9880/tcp
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/audit-trail/packages/cli/bin/audit-trail.js"]
CMD ["serve", "--help"]
