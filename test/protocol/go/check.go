package main

// Decodes syncproto streams produced by felix-ts with Go's own encoding/gob and the real
// snappy reader, and prints what it got as JSON lines for the TS test to assert on.

import (
	"bufio"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang/snappy"
)

func timeHex(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	b, err := t.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func describe(m interface{}) map[string]interface{} {
	switch v := m.(type) {
	case MsgClientHello:
		algs := []string{}
		for _, a := range v.SupportedCompressionAlgorithms {
			algs = append(algs, string(a))
		}
		return map[string]interface{}{"type": "ClientHello", "hostname": v.Hostname, "info": v.Info, "version": v.Version,
			"syncerType": string(v.SyncerType), "supportsDecoderRestart": v.SupportsDecoderRestart,
			"supportedCompressionAlgorithms": algs, "supportsModernPolicyKeys": v.SupportsModernPolicyKeys,
			"clientConnID": strconv.FormatUint(v.ClientConnID, 10)}
	case MsgServerHello:
		return map[string]interface{}{"type": "ServerHello", "version": v.Version, "syncerType": string(v.SyncerType),
			"supportsNodeResourceUpdates": v.SupportsNodeResourceUpdates, "serverConnID": strconv.FormatUint(v.ServerConnID, 10)}
	case MsgDecoderRestart:
		return map[string]interface{}{"type": "DecoderRestart", "message": v.Message, "compressionAlgorithm": string(v.CompressionAlgorithm)}
	case MsgACK:
		return map[string]interface{}{"type": "ACK"}
	case MsgSyncStatus:
		return map[string]interface{}{"type": "SyncStatus", "syncStatus": int(v.SyncStatus)}
	case MsgPing:
		return map[string]interface{}{"type": "Ping", "timestamp": timeHex(v.Timestamp)}
	case MsgPong:
		return map[string]interface{}{"type": "Pong", "pingTimestamp": timeHex(v.PingTimestamp), "pongTimestamp": timeHex(v.PongTimestamp)}
	case MsgKVs:
		kvs := []interface{}{}
		for _, u := range v.KVs {
			var val interface{}
			if u.Value != nil {
				val = string(u.Value)
			}
			kvs = append(kvs, map[string]interface{}{"key": u.Key, "value": val,
				"revision": fmt.Sprintf("%T:%v", u.Revision, u.Revision), "v3ResourceVersion": u.V3ResourceVersion,
				"ttl": strconv.FormatInt(int64(u.TTL), 10), "updateType": int(u.UpdateType)})
		}
		return map[string]interface{}{"type": "KVs", "kvs": kvs}
	}
	return map[string]interface{}{"type": fmt.Sprintf("unexpected %T", m)}
}

func check(args []string) error {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	jw := json.NewEncoder(out)
	for i, a := range args {
		mode, file, ok := strings.Cut(a, ":")
		if !ok {
			return fmt.Errorf("argument %q is not mode:file", a)
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		var r io.Reader = bufio.NewReader(f)
		if mode == "snappy" {
			r = snappy.NewReader(r)
		}
		dec := gob.NewDecoder(r)
		for {
			var env Envelope
			err := dec.Decode(&env)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("stream %d (%s): %w", i, a, err)
			}
			d := describe(env.Message)
			d["stream"] = i
			if err := jw.Encode(d); err != nil {
				return err
			}
		}
		f.Close()
	}
	return nil
}
