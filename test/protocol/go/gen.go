package main

// Fixture generator. Every value here is mirrored by test/protocol/fixture-data.ts, so a change
// on one side must be made on the other.

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/golang/snappy"
)

// snapshotKV is KV number i of the generated snapshots (mirrored in fixture-data.ts).
func snapshotKV(i int) SerializedUpdate {
	u := SerializedUpdate{
		Key:        fmt.Sprintf("/calico/v1/host/node-%d/workload/k8s/ns-%d%%2fpod-%05d/endpoint/eth0", i%50, i%7, i),
		Revision:   strconv.Itoa(100000 + i),
		UpdateType: 1,
	}
	if i%97 != 0 {
		u.Value = []byte(fmt.Sprintf(`{"state":"active","name":"cali%08x","profile_ids":["kns.ns-%d"],"ipv4_nets":["10.%d.%d.%d/32"],"labels":{"app":"app-%d","pod":"pod-%05d"}}`,
			uint32(i)*2654435761, i%7, i%7, (i>>8)&255, i&255, i%13, i))
	}
	if i%5 == 0 {
		u.Revision = "" // a non-nil interface holding ""
	}
	if i%31 == 0 {
		u.Revision = nil // omitted
	}
	if i%3 == 0 {
		u.V3ResourceVersion = fmt.Sprintf("rv-%d", i)
	}
	if i%11 == 0 {
		u.TTL = time.Duration(i) * time.Second
	}
	return u
}

// Inner and Sample exercise the general decoder: maps, nested slices, negative ints, floats,
// time.Time, arrays, pointers and interfaces.
type Inner struct {
	A int
	B string
	C []float64
}

type Sample struct {
	Neg      int64
	NegSmall int8
	Big      uint64
	MinInt   int64
	F64      float64
	F32      float32
	NegF     float64
	Cplx     complex128
	S        string
	Utf      string
	B        []byte
	Ok       bool
	M        map[string]int
	MS       map[int32][]string
	EmptyMap map[string]bool
	Nested   [][]int
	Arr      [3]uint16
	T        time.Time
	TZ       time.Time
	In       Inner
	InPtr    *Inner
	InSlice  []Inner
	Any      interface{}
	AnyInner interface{}
	AnySlice []interface{}
	Zero     int
	Empty    string
}

func sample() Sample {
	return Sample{
		Neg: -1234567890123, NegSmall: -128, Big: math.MaxUint64, MinInt: math.MinInt64,
		F64: 3.141592653589793, F32: -1.5, NegF: -2.5e-300, Cplx: complex(1.5, -2),
		S: "hello", Utf: "héllo wörld ✓", B: []byte{0, 1, 2, 255}, Ok: true,
		M:        map[string]int{"a": 1, "b": -2, "c": 300},
		MS:       map[int32][]string{-1: {"x", "y"}, 7: {}},
		EmptyMap: map[string]bool{},
		Nested:   [][]int{{1, 2, 3}, {}, {-4}},
		Arr:      [3]uint16{1, 0, 65535},
		T:        time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC),
		TZ:       time.Date(2023, 7, 8, 9, 10, 11, 12, time.FixedZone("X", -7*3600)),
		In:       Inner{A: -7, B: "inner", C: []float64{0.5, -1e10}},
		InPtr:    &Inner{A: 1},
		InSlice:  []Inner{{A: 2}, {B: "z"}},
		Any:      int64(-99),
		AnyInner: Inner{A: 3, B: "i"},
		AnySlice: []interface{}{"s", 42, nil, Inner{A: 4}},
	}
}

func writeFile(dir, name string, b []byte) error {
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}

func gen(dir string) error {
	gob.RegisterName("main.Inner", Inner{})

	// S1: plain ServerHello + DecoderRestart (test/protocol/spec-vectors.ts).
	var s1 bytes.Buffer
	enc := gob.NewEncoder(&s1)
	for _, m := range []interface{}{
		MsgServerHello{Version: "v3.32.1", SyncerType: "felix", SupportsNodeResourceUpdates: true, ServerConnID: 0xabcdef0000000001},
		MsgDecoderRestart{Message: "enable compression: snappy;send binary snapshot", CompressionAlgorithm: "snappy"},
	} {
		if err := enc.Encode(Envelope{Message: m}); err != nil {
			return err
		}
	}
	if err := writeFile(dir, "s1-plain.gob", s1.Bytes()); err != nil {
		return err
	}

	// S2: a 10k-KV binary snapshot, 1000 KVs per MsgKVs, not flushed per message (typha/pkg/syncserver/sync_server.go 4c).
	var s2 bytes.Buffer
	sw := snappy.NewBufferedWriter(&s2)
	enc = gob.NewEncoder(sw)
	for b := 0; b < 10; b++ {
		kvs := make([]SerializedUpdate, 0, 1000)
		for i := b * 1000; i < (b+1)*1000; i++ {
			kvs = append(kvs, snapshotKV(i))
		}
		if err := enc.Encode(Envelope{Message: MsgKVs{KVs: kvs}}); err != nil {
			return err
		}
	}
	if err := enc.Encode(Envelope{Message: MsgDecoderRestart{Message: "End of compressed snapshot.", CompressionAlgorithm: "snappy"}}); err != nil {
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	if err := writeFile(dir, "s2-snapshot-10k.snappy", s2.Bytes()); err != nil {
		return err
	}

	// S3: a live stream, flushed after every message (typha/pkg/syncproto/sync_proto.go).
	var s3 bytes.Buffer
	sw = snappy.NewBufferedWriter(&s3)
	enc = gob.NewEncoder(sw)
	big := make([]SerializedUpdate, 0, 400)
	for i := 0; i < 400; i++ {
		big = append(big, snapshotKV(i))
	}
	live := []interface{}{
		MsgSyncStatus{SyncStatus: 2},
		MsgKVs{KVs: []SerializedUpdate{
			{Key: "/calico/v1/config/LogSeverityScreen", Value: []byte("Info"), Revision: "1234", UpdateType: 2},
			{Key: "/calico/v1/host/node-1/config/IpInIpTunnelAddr", Revision: "1235", UpdateType: 3},
		}},
		MsgPing{Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)},
		MsgPing{Timestamp: time.Date(2024, 6, 1, 12, 0, 0, 1, time.FixedZone("IST", 5*3600+1800))},
		MsgPing{Timestamp: time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", -(4*3600+56*60+2)))},
		MsgKVs{KVs: big},
		MsgSyncStatus{SyncStatus: 1},
	}
	for _, m := range live {
		if err := enc.Encode(Envelope{Message: m}); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	if err := writeFile(dir, "s3-live.snappy", s3.Bytes()); err != nil {
		return err
	}

	// General gob: a struct of many shapes, then top-level singletons.
	var g bytes.Buffer
	enc = gob.NewEncoder(&g)
	for _, v := range []interface{}{sample(), int64(-5), "héllo", []int{1, -2}, map[string]float64{"pi": 3.25}, sample()} {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return writeFile(dir, "generic.gob", g.Bytes())
}

// Differently shaped senders: fields in another order, unknown extra fields of many kinds.
type Secret struct{ Code int }

type ServerHelloV2 struct {
	ServerConnID                uint64
	Extra                       map[string][]int
	SupportsNodeResourceUpdates bool
	Nested                      struct {
		X []string
		Y interface{}
	}
	SyncerType string
	Version    string
	Unknown    time.Time
}

type SerializedUpdateV2 struct {
	UpdateType uint8
	Extra      []map[string]float64
	Key        string
	Revision   interface{}
	Value      []byte
	TTL        int64
	Unknown    [2]bool
}

type MsgKVsV2 struct {
	Junk string
	KVs  []SerializedUpdateV2
	Tail []int
}

func genReordered(dir string) error {
	gob.RegisterName(prefix+"MsgServerHello", ServerHelloV2{})
	gob.RegisterName(prefix+"MsgKVs", MsgKVsV2{})
	gob.RegisterName("main.Secret", Secret{})
	var out bytes.Buffer
	enc := gob.NewEncoder(&out)
	h := ServerHelloV2{ServerConnID: 42, Extra: map[string][]int{"k": {1, 2}}, SupportsNodeResourceUpdates: true,
		SyncerType: "felix", Version: "v9.9.9", Unknown: time.Date(2020, 2, 2, 2, 2, 2, 2, time.UTC)}
	h.Nested.X = []string{"a", "b"}
	h.Nested.Y = Secret{Code: 7}
	kvs := MsgKVsV2{Junk: "junk", Tail: []int{-1}, KVs: []SerializedUpdateV2{
		{UpdateType: 1, Extra: []map[string]float64{{"x": 1.5}}, Key: "/calico/v1/Ready", Revision: "77", Value: []byte("true"), TTL: 9, Unknown: [2]bool{true, false}},
		{UpdateType: 3, Key: "/calico/v1/config/Foo", Revision: "78"},
	}}
	for _, m := range []interface{}{h, kvs} {
		if err := enc.Encode(Envelope{Message: m}); err != nil {
			return err
		}
	}
	return writeFile(dir, "reordered.gob", out.Bytes())
}
