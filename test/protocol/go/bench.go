package main

// Go's side of bench/gob-decode: decode the same snapshot bytes into the replica types, the way
// Felix's sync client does (a gob.Decoder over a buffered, optionally snappy, reader).

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/golang/snappy"
)

func decodeAll(mode string, data []byte) (int, error) {
	var r io.Reader = bufio.NewReader(bytes.NewReader(data))
	if mode == "snappy" {
		r = snappy.NewReader(bytes.NewReader(data))
	}
	dec := gob.NewDecoder(r)
	n := 0
	for {
		var env Envelope
		err := dec.Decode(&env)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if m, ok := env.Message.(MsgKVs); ok {
			n += len(m.KVs)
		}
	}
}

func bench(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: bench plain|snappy <file> <iterations>")
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	iters, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	var times []float64
	kvs := 0
	for i := 0; i < iters; i++ {
		start := time.Now()
		n, err := decodeAll(args[0], data)
		if err != nil {
			return err
		}
		times = append(times, float64(time.Since(start).Nanoseconds()))
		kvs = n
	}
	sort.Float64s(times)
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"kvs": kvs, "bytes": len(data), "minNs": times[0], "medianNs": times[len(times)/2],
	})
}
