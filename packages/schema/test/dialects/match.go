// Reads "P <base64 UTF-8>" (patterns) and "S <base64 UTF-8>" (samples) lines
// on stdin and prints, per pattern, one '1' or '0' per sample: whether Go's
// regexp (RE2 syntax) finds the pattern in the sample, as a JSON Schema
// validator in Go runs `pattern` (unanchored search). A pattern that does not
// compile is printed as "ERROR <message>".
package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
)

func main() {
	var patterns, samples []string
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	for in.Scan() {
		kind, b64, _ := strings.Cut(in.Text(), " ")
		text, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			panic(err)
		}
		if kind == "P" {
			patterns = append(patterns, string(text))
		} else {
			samples = append(samples, string(text))
		}
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			fmt.Fprintf(out, "ERROR %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		var row strings.Builder
		for _, s := range samples {
			if re.MatchString(s) {
				row.WriteByte('1')
			} else {
				row.WriteByte('0')
			}
		}
		fmt.Fprintln(out, row.String())
	}
}
