import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The Docker fluentd log driver's own client library (fluent-logger-golang,
// the version Docker vendors), sending exactly what the driver sends: Message
// mode, every value a string (moby daemon/logger/fluentd/fluentd.go `Log`).
const SOURCE = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	ack := os.Args[2] == "ack"
	subsec := os.Args[3] == "subsec"
	tag := os.Args[4]
	logger, err := fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: port, RequestAck: ack, SubSecondPrecision: subsec, Timeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetry: 3})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<22)
	for scanner.Scan() {
		data := map[string]string{
			"container_id":   "4f2c1e8a9b7d0c1e2f3a4b5c6d7e8f90112233445566778899aabbccddeeff00",
			"container_name": "/webauthn-api.1.k3j4h5g6f7d8",
			"source":         "stdout",
			"log":            scanner.Text(),
		}
		if err := logger.PostWithTime(tag, time.Now(), data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	logger.Close()
}
`;

/**
 * Builds the sender with Debian's golang-go and golang-github-fluent-fluent-logger-golang-dev
 * (GOPATH mode, no network) into `dir` and returns the binary path. Throws when Go is missing:
 * the interop test must fail, not skip.
 */
export function buildGoSender(dir: string): string {
  const src = join(dir, 'gosender');
  execFileSync('mkdir', ['-p', src]);
  writeFileSync(join(src, 'main.go'), SOURCE);
  const bin = join(dir, 'gosender-bin');
  execFileSync('go', ['build', '-o', bin, '.'], {
    cwd: src,
    env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(dir, 'gocache'), GOPROXY: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return bin;
}
