// felix-ts Go cross-check tool (GOPATH mode, offline: Debian golang-go + golang-github-golang-snappy-dev).
//
//	gen <dir>                 write the fixtures of test/protocol/fixtures (see gen.go)
//	check <mode:file>...      decode syncproto streams (mode plain|snappy) with Go's encoding/gob
//	                          and print one JSON line per message (check.go)
//	bench <mode> <file> <n>   time Go decoding the same snapshot bytes the TS bench decodes (bench.go)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobtool gen|gen-reordered|check|bench ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		registerSyncproto()
		err = gen(os.Args[2])
	case "gen-reordered":
		// Another process: the same wire names registered to differently shaped types.
		err = genReordered(os.Args[2])
	case "check":
		registerSyncproto()
		err = check(os.Args[2:])
	case "bench":
		registerSyncproto()
		err = bench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobtool:", err)
		os.Exit(1)
	}
}
