import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The Docker fluentd log driver's own client library (fluent-logger-golang,
// the version Docker vendors), sending exactly what the driver sends: Message
// mode, every value a string (moby daemon/logger/fluentd/fluentd.go `Log`).
// A line longer than 16 KiB is sent as the driver gets it from its copier
// (moby daemon/logger/copier.go): pieces of 16 KiB of bytes, wherever that
// cuts (inside a UTF-8 character too), each with partial_message,
// partial_id, partial_ordinal and partial_last. Optional fifth argument
// `pause:N`: after piece N of a split line is acked, print "paused" and wait
// for a line on stdin before sending the rest. Every acked (or, without
// ack, written) record prints "sent <ordinal>" (0 for a whole line).
const SOURCE = `package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

const bufSize = 16 * 1024

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	ack := os.Args[2] == "ack"
	subsec := os.Args[3] == "subsec"
	tag := os.Args[4]
	pauseAfter := 0
	if len(os.Args) > 5 && strings.HasPrefix(os.Args[5], "pause:") {
		pauseAfter, _ = strconv.Atoi(strings.TrimPrefix(os.Args[5], "pause:"))
	}
	logger, err := fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: port, RequestAck: ack, SubSecondPrecision: subsec, Timeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetry: 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<22)
	post := func(line []byte, extra map[string]string, ordinal int) {
		data := map[string]string{
			"container_id":   "4f2c1e8a9b7d0c1e2f3a4b5c6d7e8f90112233445566778899aabbccddeeff00",
			"container_name": "/webauthn-api.1.k3j4h5g6f7d8",
			"source":         "stdout",
			"log":            string(line),
		}
		for k, v := range extra {
			data[k] = v
		}
		if err := logger.PostWithTime(tag, time.Now(), data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Printf("sent %d\\n", ordinal)
	}
	for scanner.Scan() {
		line := append([]byte(nil), scanner.Bytes()...)
		if len(line) <= bufSize {
			post(line, nil, 0)
			continue
		}
		idBytes := make([]byte, 32)
		rand.Read(idBytes)
		id := hex.EncodeToString(idBytes)
		for ordinal, at := 1, 0; at < len(line); ordinal++ {
			end := at + bufSize
			if end > len(line) {
				end = len(line)
			}
			last := end == len(line)
			post(line[at:end], map[string]string{
				"partial_message": "true",
				"partial_id":      id,
				"partial_ordinal": strconv.Itoa(ordinal),
				"partial_last":    strconv.FormatBool(last),
			}, ordinal)
			at = end
			if ordinal == pauseAfter && !last {
				fmt.Println("paused")
				scanner.Scan()
			}
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
